from django.contrib import admin

from testproject.shop.models import Order

admin.site.register(Order)
