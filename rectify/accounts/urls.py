from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_otp

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/", views.profile, name="profile"),
    path("me/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("me/tokens/", views.token_create, name="token_create"),
    path("me/tokens/<int:token_id>/revoke/", views.token_delete, name="token_revoke"),
    path("2fa/setup/", views_otp.setup, name="otp_setup"),
    path("2fa/verify/", views_otp.verify, name="otp_verify"),
]
