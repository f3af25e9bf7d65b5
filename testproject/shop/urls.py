from django.urls import path

from testproject.shop import views

app_name = "shop"
urlpatterns = [
    path("", views.index, name="index"),
    path("orders/", views.place_order, name="place_order"),
]
