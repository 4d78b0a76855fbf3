"""API of the signed-in person: who they are and what they may do, and their API tokens
(create — the key is shown once —, list, renew, revoke). Token services live in accounts/tokens.py."""

from django.shortcuts import get_object_or_404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response

from accounts import permissions
from accounts.models import ApiToken
from accounts.permissions import UsesProduct, UsesProductOrEnterprise
from accounts.tokens import api_token_create, api_token_renew, api_token_revoke
from dezhou_carbon.api import ApiViewMixin


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token header in the OpenAPI schema."""

    target_class = "accounts.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>` or `Bearer <key>` (create one at /api/v1/tokens/)",
        }


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()
    department = serializers.CharField(allow_null=True)
    reads_all_data = serializers.BooleanField()
    runs_imports = serializers.BooleanField()
    closes_warnings = serializers.BooleanField()
    approves_own_department = serializers.BooleanField()


class MeApi(ApiViewMixin, generics.GenericAPIView):
    """Who the request is from, and what they may do (the rules of accounts.permissions)."""

    permission_classes = [UsesProduct]
    serializer_class = MeSerializer
    pagination_class = None
    filter_backends = []

    def get(self, request):
        user = request.user
        department = user.department if user.department_id else None
        body = {
            "username": user.get_username(),
            "name": str(user),
            "role": user.role,
            "department": department.code if department else None,
            "reads_all_data": permissions.can_read_all_data(user),
            "runs_imports": permissions.can_run_imports(user),
            "closes_warnings": permissions.can_close_warnings(user),
            "approves_own_department": bool(department)
            and permissions.can_approve(user, department.pk),
        }
        return Response(MeSerializer(body).data)


class ApiTokenSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="user.username", read_only=True)
    revoked = serializers.SerializerMethodField()
    expired = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "owner",
            "name",
            "prefix",
            "created_at",
            "last_used_at",
            "expires_at",
            "expired",
            "revoked_at",
            "revoked",
        ]

    def get_revoked(self, token) -> bool:
        return token.revoked_at is not None

    def get_expired(self, token) -> bool:
        from django.utils import timezone

        return token.expires_at <= timezone.now()


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(help_text="shown once: store it now")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]


def _signed_in_with_token(request) -> bool:
    return isinstance(request.auth, ApiToken)


class ApiTokenListApi(ApiViewMixin, generics.ListAPIView):
    """GET: your own tokens (never their keys). POST: a new token; its key is in the answer
    and nowhere else. Creating needs a browser session (a token never mints tokens)."""

    permission_classes = [UsesProductOrEnterprise]
    serializer_class = ApiTokenSerializer
    filterset_fields = {"revoked_at": ["isnull"]}
    queryset = ApiToken.objects.none()  # the schema's model; each request: its own

    def get_queryset(self):
        tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
        owner = self.request.query_params.get("owner")
        if owner and permissions.can_list_all_api_tokens(self.request.user):
            # An administrator looks up a person's tokens (e.g. an energy manager's that has
            # to go) to revoke one: POST /api/v1/tokens/<id>/revoke/, audited.
            return tokens.filter(user__username=owner[:150])
        return tokens.filter(user=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "owner", str, description="administrators: this person's tokens (username)"
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def post(self, request):
        if not permissions.can_create_api_token(
            request.user, signed_in_with_token=_signed_in_with_token(request)
        ):
            # Asked before reading the body, so a refusal is a 403 whatever was sent.
            raise exceptions.PermissionDenied(
                "Create tokens signed in in the browser; a token cannot create tokens."
            )
        payload = ApiTokenCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        token, key = api_token_create(
            user=request.user,
            name=payload.validated_data["name"],
            signed_in_with_token=_signed_in_with_token(request),
        )
        token.key = key  # on this instance only: the database keeps the hash
        body = ApiTokenCreatedSerializer(token).data
        return Response(body, status=status.HTTP_201_CREATED)


class ApiTokenRevokeApi(ApiViewMixin, generics.GenericAPIView):
    """Revoke one of your tokens: from now on it is refused."""

    permission_classes = [UsesProductOrEnterprise]
    serializer_class = ApiTokenSerializer
    pagination_class = None
    filter_backends = []

    queryset = ApiToken.objects.all()

    @extend_schema(request=inline_serializer("ApiTokenRevoke", fields={}))
    def post(self, request, pk: int):
        token = get_object_or_404(self.get_queryset(), pk=pk)  # the service refuses others
        token = api_token_revoke(token=token, user=request.user)
        return Response(ApiTokenSerializer(token).data)


class ApiTokenRenewApi(ApiViewMixin, generics.GenericAPIView):
    """Renew one of your tokens: it runs out API_TOKEN_DAYS (default 90) days from now.
    Needs a browser session: a token never extends itself."""

    permission_classes = [UsesProductOrEnterprise]
    serializer_class = ApiTokenSerializer
    pagination_class = None
    filter_backends = []

    queryset = ApiToken.objects.all()

    @extend_schema(request=inline_serializer("ApiTokenRenew", fields={}))
    def post(self, request, pk: int):
        token = get_object_or_404(self.get_queryset(), pk=pk)  # the service refuses others
        token = api_token_renew(
            token=token, user=request.user, signed_in_with_token=_signed_in_with_token(request)
        )
        return Response(ApiTokenSerializer(token).data)
