"""People's accounts: Django's own user admin, but an account the history names is not
deleted (workflow.deletion_refusal), from its page or from the list's bulk delete."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from editorial import workflow

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    def get_deleted_objects(self, objs, request):
        """The refusals as the "protected" objects the delete pages list: both pages then
        show them instead of the confirm button, and a POST deletes nothing."""
        refusals = [refusal for user in objs if (refusal := workflow.deletion_refusal(user))]
        if refusals:
            return [], {}, set(), refusals
        return super().get_deleted_objects(objs, request)
