from django.urls import path

from carecoord.accounts.views import signin

app_name = "accounts"
urlpatterns = [
    path("login/", signin.login_view, name="login"),
    path("mfa/", signin.mfa_view, name="mfa"),
    path("logout/", signin.logout_view, name="logout"),
    path("password/", signin.password_change_view, name="password_change"),
]
