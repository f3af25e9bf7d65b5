from django.contrib import admin

from testproject.shop.models import Order, Organization

admin.site.register(Order)
admin.site.register(Organization)
