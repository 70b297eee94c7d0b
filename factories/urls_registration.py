"""/accounts/register/: enterprise self-registration (factories/views_registration.py), mounted by config/urls.py."""

from django.urls import path

from factories import views_registration as views

app_name = "registrations"

urlpatterns = [
    path("", views.RegisterView.as_view(), name="register"),
    path("done/", views.RegisterDoneView.as_view(), name="done"),
    path("activate/<uidb64>/<token>/", views.ActivateView.as_view(), name="activate"),
    path("queue/", views.RegistrationListView.as_view(), name="queue"),
    path("queue/<int:pk>/", views.RegistrationDetailView.as_view(), name="detail"),
    path("queue/<int:pk>/letter/", views.RegistrationLetterView.as_view(), name="letter"),
    path("queue/<int:pk>/<str:action>/", views.RegistrationDecideView.as_view(), name="decide"),
]
