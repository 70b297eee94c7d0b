from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import oidc, twofactor_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/done/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("tokens/", views.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:pk>/revoke/", views.TokenRevokeView.as_view(), name="token_revoke"),
    path("audit/", views.AuditListView.as_view(), name="audit"),
    # Two-factor sign-in; accounts.middleware.TwoFactorMiddleware knows these prefixes.
    path("2fa/", twofactor_views.TwoFactorView.as_view(), name="twofactor"),
    path("2fa/setup/", twofactor_views.TwoFactorSetupView.as_view(), name="twofactor_setup"),
    path("2fa/recovery/", twofactor_views.TwoFactorRecoveryView.as_view(), name="twofactor_recovery"),
    path("2fa/disable/", twofactor_views.TwoFactorDisableView.as_view(), name="twofactor_disable"),
    path("2fa/verify/", twofactor_views.TwoFactorVerifyView.as_view(), name="twofactor_verify"),
    # Single sign-on: these routes exist only when it is configured (accounts/oidc.py).
    *oidc.urlpatterns(),
]
