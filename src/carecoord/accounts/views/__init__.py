"""Pages of the accounts context: signing in (``signin``) and the administration center (``admin_center``)."""
