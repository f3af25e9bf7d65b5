"""Admin users for the tests: staff with exactly the permissions a test names."""

from django.contrib.auth.models import Permission, User


def staff(*codenames: str, view: bool = True) -> User:
    """A staff user with ``view_job`` (unless ``view=False``) plus ``codenames``."""
    name = "op-" + "-".join(codenames or ("viewer",)) + ("" if view else "-blind")
    user = User.objects.create_user(name, password="pw", is_staff=True)
    for codename in ("view_job",) * view + codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user
