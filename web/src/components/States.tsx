import { Alert, Center, Loader, Stack, Text } from "@mantine/core";
import { ApiError } from "../api";

/** Loading, empty and error states that say what happened — never a blank page. */
export function Loading({ what }: { what: string }) {
  return (
    <Center py="xl" data-testid="loading">
      <Stack align="center" gap="xs">
        <Loader size="sm" />
        <Text c="dimmed" size="sm">Loading {what}…</Text>
      </Stack>
    </Center>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return (
    <Center py="xl" data-testid="empty">
      <Text c="dimmed">{children}</Text>
    </Center>
  );
}

export function describeError(error: unknown): { title: string; message: string } {
  if (error instanceof ApiError) {
    if (error.status === 0) return { title: "Server unreachable", message: error.message };
    if (error.code === "run_not_found") return { title: "Run not found", message: error.message };
    if (error.code === "project_not_found") return { title: "Project not found", message: error.message };
    if (error.code === "invalid_query") return { title: "Bad filter", message: error.message };
    if (error.code === "artifact_not_found") return { title: "Artifact not found", message: error.message };
    if (error.code === "permission_denied") return { title: "Not allowed", message: error.message };
    if (error.code === "unauthenticated") return { title: "Not signed in", message: error.message };
    if (error.code === "user_not_found") return { title: "No such user", message: error.message };
    if (error.code === "user_exists") return { title: "That name is taken", message: error.message };
    if (error.code === "blob_store_unavailable") return { title: "Artifact store unavailable", message: error.message };
    return { title: `Error ${error.status}: ${error.code}`, message: error.message };
  }
  return { title: "Unexpected error", message: String(error) };
}

export function ErrorState({ error }: { error: unknown }) {
  const { title, message } = describeError(error);
  return (
    <Alert color="red" title={title} my="md" data-testid="error">
      {message}
    </Alert>
  );
}
