"""Built-in Azure role definitions the program grants, and deterministic role-assignment names.

GUIDs are the built-in role definition ids (facts sheet, checked against Azure's built-in roles list).
Role assignment names must be GUIDs; deriving them from (scope, principal, role) makes every
`pulumi up` produce the same name, so a re-run never creates a duplicate assignment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    name: str
    guid: str
    short: str  # used in Pulumi logical names

    def definition_id(self, subscription_id: str) -> str:
        return (
            f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{self.guid}"
        )


AZURE_AI_DEVELOPER = Role("Azure AI Developer", "64702f94-c441-49e6-a78b-ef80e0188fee", "ai-developer")
# Auto-assigned to a hub's identity by the platform (hubs created after 2024-11-19): never declared here.
AZURE_AI_ADMINISTRATOR = Role("Azure AI Administrator", "b78c5d69-af96-48a3-bf8d-a8b4d589de94", "ai-admin")
AZURE_AI_INFERENCE_DEPLOYMENT_OPERATOR = Role(
    "Azure AI Inference Deployment Operator", "3afb7f49-54cb-416e-8c09-6dc049efa503", "inference-deploy-op"
)
COGNITIVE_SERVICES_USER = Role(
    "Cognitive Services User", "a97b65f3-24c7-4388-baec-2e87135dc908", "cogsvc-user"
)
COGNITIVE_SERVICES_OPENAI_USER = Role(
    "Cognitive Services OpenAI User", "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd", "openai-user"
)
STORAGE_BLOB_DATA_CONTRIBUTOR = Role(
    "Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe", "blob-contributor"
)
STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR = Role(
    "Storage File Data Privileged Contributor",
    "69566ab7-960f-475b-8e7c-b3118f30c6bd",
    "file-priv-contributor",
)
KEY_VAULT_ADMINISTRATOR = Role("Key Vault Administrator", "00482a5a-887f-4fb3-b363-3b7fe8e74483", "kv-admin")
KEY_VAULT_SECRETS_USER = Role(
    "Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6", "kv-secrets-user"
)
AZUREML_DATA_SCIENTIST = Role(
    "AzureML Data Scientist", "f6c7c914-8db3-469d-8ca1-694a8f32e121", "aml-data-scientist"
)

BY_GUID: dict[str, Role] = {
    r.guid: r
    for r in (
        AZURE_AI_DEVELOPER,
        AZURE_AI_ADMINISTRATOR,
        AZURE_AI_INFERENCE_DEPLOYMENT_OPERATOR,
        COGNITIVE_SERVICES_USER,
        COGNITIVE_SERVICES_OPENAI_USER,
        STORAGE_BLOB_DATA_CONTRIBUTOR,
        STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
        KEY_VAULT_ADMINISTRATOR,
        KEY_VAULT_SECRETS_USER,
        AZUREML_DATA_SCIENTIST,
    )
}

# A fixed namespace so names are stable across machines and versions of this toolkit.
ASSIGNMENT_NAMESPACE = uuid.UUID("6f0f4b52-2a5e-4e8e-9a43-4f6f1c1d0a11")


def assignment_name(scope: str, principal_id: str, role: Role | str) -> str:
    """The GUID name of the assignment of `role` to `principal_id` at `scope` (case-insensitive inputs)."""
    guid = role.guid if isinstance(role, Role) else role
    key = f"{scope.strip().lower()}|{principal_id.strip().lower()}|{guid.lower()}"
    return str(uuid.uuid5(ASSIGNMENT_NAMESPACE, key))
