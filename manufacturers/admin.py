import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.postgres.forms import SimpleArrayField
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.forms import ExportForm
from simple_history.admin import SimpleHistoryAdmin

from core.locking import VersionedAdminForm

from . import quality
from .admin_corrections import CorrectionAdmin  # noqa: F401 (registers the moderation queue)
from .models import Capability, Licence, LicenceType, Organisation, Region, Site, Technology
from .resources import (
    NOT_UTF8,
    SPREADSHEET_FORMATS,
    OrganisationSheetResource,
    SiteSheetResource,
    UnreadableFile,
)
from .services import organisation_save, organisations_merge, site_save, sites_mark_verified


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "nuts_code", "centroid_latitude", "centroid_longitude"]
    search_fields = ["name", "code"]
    ordering = ["code"]
    readonly_fields = ["created_at", "updated_at"]


class TaxonomyAdminForm(forms.ModelForm):
    # One synonym a line: synonyms may hold commas ("fill, finish"), lines are what editors expect.
    synonyms = SimpleArrayField(
        forms.CharField(max_length=100, required=False),
        delimiter="\n",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label=_("Synonyms"),
        help_text=_(
            "Other words people search for this by, one a line: abbreviations (mAbs, OSD), "
            "US spellings (lyophilization), common names. Site search finds them at once."
        ),
    )

    def clean_synonyms(self):
        seen, synonyms = set(), []
        for synonym in self.cleaned_data["synonyms"]:
            if synonym and synonym.lower() not in seen:
                seen.add(synonym.lower())
                synonyms.append(synonym)
        return synonyms


class ReferenceAdmin(admin.ModelAdmin):
    form = TaxonomyAdminForm
    list_display = ["name", "slug", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "description"]
    ordering = ["name"]
    readonly_fields = ["created_at", "updated_at"]


admin.site.register(Capability, ReferenceAdmin)
admin.site.register(Technology, ReferenceAdmin)
admin.site.register(LicenceType, ReferenceAdmin)


class SiteInline(admin.TabularInline):
    model = Site
    fields = ["name", "town", "region", "status"]
    show_change_link = True
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # Sites are added on their own page, where coordinates and provenance are required.
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class OrganisationAdminForm(VersionedAdminForm):
    class Meta:
        model = Organisation
        fields = ["name", "slug", "kind", "website", "description", "companies_house_number"]


@admin.register(Organisation)
class OrganisationAdmin(ExportMixin, SimpleHistoryAdmin):
    form = OrganisationAdminForm
    # Export only: the spreadsheet holds sites, so an organisation's rows are its sites'.
    resource_classes = [OrganisationSheetResource]
    formats = SPREADSHEET_FORMATS
    export_form_class = ExportForm
    to_encoding = "utf-8-sig"  # with a BOM, so Excel reads accented names correctly

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    list_display = ["name", "kind", "website", "companies_house_number", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name", "companies_house_number", "website"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["name"]
    inlines = [SiteInline]

    actions = ["merge_organisations"]

    @admin.action(description=_("Merge two organisations into one"), permissions=["change", "delete"])
    def merge_organisations(self, request, queryset):
        organisations = list(
            queryset.annotate(site_count=Count("sites")).order_by("-site_count", "created_at")
        )
        if len(organisations) != 2:
            messages.error(request, _("Choose exactly two organisations to merge."))
            return None
        if "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "organisations": organisations,
            }
            return TemplateResponse(request, "admin/manufacturers/organisation/merge.html", context)
        keep = next(
            (obj for obj in organisations if str(obj.pk) == request.POST.get("keep")), organisations[0]
        )
        merge = next(obj for obj in organisations if obj is not keep)
        organisations_merge(keep=keep, merge=merge, by=request.user)
        messages.success(
            request, _("%(merge)s was merged into %(keep)s.") % {"merge": merge.name, "keep": keep.name}
        )
        return None

    def save_model(self, request, obj, form, change):
        organisation_save(
            organisation=obj, by=request.user, expected_version=form.cleaned_data.get("expected_version")
        )


class LicenceInline(admin.TabularInline):
    model = Licence
    extra = 0
    autocomplete_fields = ["licence_type"]
    fields = ["licence_type", "basis", "reference", "source_url"]


class NotVerifiedRecentlyFilter(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "verification"

    def lookups(self, request, model_admin):
        return [
            ("stale", _("Not verified for over 12 months")),
            ("recent", _("Verified in the last 12 months")),
        ]

    def queryset(self, request, queryset):
        cutoff = timezone.localdate() - datetime.timedelta(days=quality.VERIFICATION_STALE_DAYS)
        stale = Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=cutoff)
        if self.value() == "stale":
            return queryset.filter(stale)
        if self.value() == "recent":
            return queryset.exclude(stale)
        return queryset


class InferredLicenceFilter(admin.SimpleListFilter):
    title = _("licence basis")
    parameter_name = "inferred_licences"

    def lookups(self, request, model_admin):
        return [("yes", _("Has inferred licences")), ("no", _("No inferred licences"))]

    def queryset(self, request, queryset):
        inferred = Exists(Licence.objects.filter(site_id=OuterRef("pk"), basis=Licence.Basis.INFERRED))
        if self.value() == "yes":
            return queryset.filter(inferred)
        if self.value() == "no":
            return queryset.exclude(inferred)
        return queryset


class SiteAdminForm(VersionedAdminForm):
    """The site form, with the location errors (outside the UK, outside its region) next to their fields."""

    class Meta:
        model = Site
        fields = [
            "organisation",
            "name",
            "slug",
            "status",
            "town",
            "postcode",
            "region",
            "latitude",
            "longitude",
            "location_precision",
            "capabilities",
            "technologies",
            "source_urls",
            "confidence",
            "last_verified_on",
        ]

    def clean(self):
        cleaned = super().clean()
        # The postcode's format is the model field's own validator; here only the location checks.
        errors = quality.RegionShapes.load().location_errors(
            latitude=cleaned.get("latitude"), longitude=cleaned.get("longitude"), region=cleaned.get("region")
        )
        for field, message in errors.items():
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned


@admin.register(Site)
class SiteAdmin(ImportExportMixin, SimpleHistoryAdmin):
    form = SiteAdminForm
    resource_classes = [SiteSheetResource]
    formats = SPREADSHEET_FORMATS
    # No column picker: an export has exactly the import's columns, so it can be imported back.
    export_form_class = ExportForm
    import_template_name = "admin/manufacturers/site/import.html"
    change_list_template = "admin/manufacturers/site/change_list.html"
    to_encoding = "utf-8-sig"  # with a BOM, so Excel reads accented names correctly

    def has_import_permission(self, request):
        # An import creates and changes both organisations and sites.
        return request.user.has_perms(
            [
                "manufacturers.add_site",
                "manufacturers.change_site",
                "manufacturers.add_organisation",
                "manufacturers.change_organisation",
            ]
        )

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    list_display = [
        "name",
        "organisation",
        "town",
        "region",
        "status",
        "confidence",
        "last_verified_on",
    ]
    list_filter = [
        "status",
        "region",
        "confidence",
        NotVerifiedRecentlyFilter,
        InferredLicenceFilter,
        "organisation__kind",
        "location_precision",
    ]
    list_select_related = ["organisation", "region"]
    search_fields = ["name", "town", "postcode", "organisation__name"]
    autocomplete_fields = ["organisation", "region", "capabilities", "technologies"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at", "last_verified_by"]
    ordering = ["organisation__name", "name"]
    inlines = [LicenceInline]
    actions = ["mark_verified"]
    fieldsets = [
        (None, {"fields": ["organisation", "name", "slug", "status", "expected_version"]}),
        (
            "Location",
            {
                "fields": [
                    "town",
                    "postcode",
                    "region",
                    "latitude",
                    "longitude",
                    "location_precision",
                ]
            },
        ),
        ("What the site does", {"fields": ["capabilities", "technologies"]}),
        (
            "Provenance",
            {"fields": ["source_urls", "confidence", "last_verified_on", "last_verified_by"]},
        ),
        ("Audit", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def add_data_read_fail_error_to_form(self, form, e):
        # The library names the exception ("'BadZipFile' encountered"); a person needs what to do.
        if isinstance(e, UnreadableFile):
            form.add_error("import_file", str(e))
        elif isinstance(e, UnicodeDecodeError):  # the library decodes a CSV before we see it
            form.add_error("import_file", NOT_UTF8)
        else:
            form.add_error(
                "import_file",
                _("This file could not be read. Choose csv or xlsx to match the file, and try again."),
            )

    def save_model(self, request, obj, form, change):
        site_save(site=obj, by=request.user, expected_version=form.cleaned_data.get("expected_version"))
        for finding in quality.site_warnings(obj):
            messages.warning(request, finding.message)

    def get_urls(self):
        quality_report = path(
            "quality/", self.admin_site.admin_view(self.quality_view), name="manufacturers_site_quality"
        )
        return [quality_report, *super().get_urls()]

    def quality_view(self, request):
        """The `check_data` report for staff: every error and warning, each linked to where to fix it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        findings = quality.check_all()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Data quality"),
            "errors": [finding for finding in findings if finding.level == quality.ERROR],
            "warnings": [finding for finding in findings if finding.level == quality.WARNING],
        }
        return TemplateResponse(request, "admin/manufacturers/site/quality.html", context)

    @admin.action(description=_("Mark as verified today"), permissions=["change"])
    def mark_verified(self, request, queryset):
        count = sites_mark_verified(sites=queryset, by=request.user)
        messages.success(
            request,
            ngettext(
                "%(count)d site marked as verified by you today.",
                "%(count)d sites marked as verified by you today.",
                count,
            )
            % {"count": count},
        )

    # --- Import: django-import-export's upload, preview and confirm, over sites_import_rows ----

    def process_result(self, result, request):
        report = getattr(result, "report", None)
        if report is not None and report.errors:
            # The file passed the preview but changed in between (or the data did): nothing written.
            for error in report.errors[:50]:
                messages.error(request, str(error))
            return HttpResponseRedirect(reverse("admin:manufacturers_site_import"))
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        report = result.report
        organisations = ngettext(
            "%(count)d organisation created",
            "%(count)d organisations created",
            len(report.organisations_created),
        ) % {"count": len(report.organisations_created)}
        messages.success(
            request,
            _(
                "Import finished: %(created)d sites created, %(updated)d updated, %(unchanged)d unchanged; %(orgs)s."
            )
            % {
                "created": len(report.created),
                "updated": len(report.updated),
                "unchanged": len(report.unchanged),
                "orgs": organisations,
            },
        )

    def generate_log_entries(self, result, request):
        # The site and organisation history (simple_history) records each change with the
        # importing user and file; a second per-row admin log would only repeat it.
        return


@admin.register(Licence)
class LicenceAdmin(SimpleHistoryAdmin):
    list_display = ["site", "licence_type", "basis", "reference"]
    list_filter = ["basis", "licence_type"]
    list_select_related = ["site__organisation", "licence_type"]
    search_fields = ["site__name", "site__organisation__name", "reference"]
    autocomplete_fields = ["site", "licence_type"]
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["site__name"]
