from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Initiative, Workstream
from .services import initiative_save, workstream_save


class InitiativeInline(admin.TabularInline):
    model = Initiative
    fields = ["title", "kind", "status", "start_date"]
    show_change_link = True
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


@admin.register(Workstream)
class WorkstreamAdmin(SimpleHistoryAdmin):
    list_display = ["position", "name", "slug", "updated_at"]
    list_display_links = ["name"]
    search_fields = ["name", "summary"]
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["position"]
    inlines = [InitiativeInline]

    def get_readonly_fields(self, request, obj=None):
        # The public pages key their live links (case studies, technologies, the map) off the
        # five slugs, and other sites link to /workstreams/<slug>/: once saved, a slug stays.
        if obj is not None:
            return ["slug", *self.readonly_fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        workstream_save(workstream=obj)


@admin.register(Initiative)
class InitiativeAdmin(SimpleHistoryAdmin):
    list_display = ["title", "workstream", "kind", "status", "start_date", "end_date"]
    list_filter = ["workstream", "kind", "status"]
    list_select_related = ["workstream"]
    search_fields = ["title", "summary", "outcome"]
    autocomplete_fields = ["workstream", "partners"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["workstream__position", "title"]
    date_hierarchy = "start_date"
    fieldsets = [
        (None, {"fields": ["workstream", "title", "slug", "kind", "status"]}),
        ("What it is", {"fields": ["summary", "body", "outcome"]}),
        ("When and with whom", {"fields": ["start_date", "end_date", "partners"]}),
        ("Links", {"fields": ["url", "source_urls"]}),
        ("Audit", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def save_model(self, request, obj, form, change):
        # The form has validated the fields; the service adds the model's own constraints.
        initiative_save(initiative=obj)
