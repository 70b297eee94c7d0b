from django.urls import path

app_name = "factories"

urlpatterns: list = []
