"""``CreditAccountMixin``: the fields ``reset_credits`` needs on a project's account model."""

from django.db import models


class CreditAccountMixin(models.Model):
    """Add to the model that holds usage credits (e.g. Organization); name it in
    ``JOBS["CREDIT_ACCOUNT_MODEL"]`` and ``reset_credits`` refills it monthly."""

    credit_balance = models.IntegerField(default=0)
    monthly_credits = models.PositiveIntegerField(default=0)
    credit_period = models.DateField(
        null=True, blank=True, help_text="First day of the month the balance was last reset."
    )

    class Meta:
        abstract = True
