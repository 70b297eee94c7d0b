from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("submissions/", views.SubmissionListView.as_view(), name="submission_list"),
    path("submissions/<int:pk>/", views.SubmissionDetailView.as_view(), name="submission_detail"),
]
