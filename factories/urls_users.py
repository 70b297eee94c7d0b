"""/accounts/users/: managing accounts (factories/views_users.py), mounted by config/urls.py."""

from django.urls import path

from factories import views_users

app_name = "users"

urlpatterns = [
    path("", views_users.UserListView.as_view(), name="user_list"),
    path("export/", views_users.UserExportView.as_view(), name="user_export"),
    path("new/", views_users.UserCreateView.as_view(), name="user_create"),
    path("<int:pk>/", views_users.UserDetailView.as_view(), name="user_detail"),
    path("<int:pk>/edit/", views_users.UserEditView.as_view(), name="user_edit"),
    path("<int:pk>/<str:action>/", views_users.UserStepView.as_view(), name="user_step"),
]
