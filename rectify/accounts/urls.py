from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_manage, views_otp

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
    # The system administrator's pages (账号管理).
    path("manage/", views_manage.users, name="manage_users"),
    path("manage/new/", views_manage.user_new, name="manage_user_new"),
    path("manage/<int:user_id>/", views_manage.user_detail, name="manage_user"),
    path("manage/<int:user_id>/roles/", views_manage.membership_add, name="manage_membership_add"),
    path(
        "manage/<int:user_id>/roles/<int:membership_id>/remove/",
        views_manage.membership_remove,
        name="manage_membership_remove",
    ),
    path("manage/<int:user_id>/reset-password/", views_manage.reset_password, name="manage_reset_password"),
    path("manage/<int:user_id>/reset-2fa/", views_manage.reset_otp, name="manage_reset_otp"),
    path("manage/<int:user_id>/unlock/", views_manage.unlock, name="manage_unlock"),
    path("manage/<int:user_id>/revoke-tokens/", views_manage.revoke_tokens, name="manage_revoke_tokens"),
]
