import { Alert } from "@mantine/core";
import { ApiError } from "../../api";
import { describeError } from "../../components/States";

const TITLES: Record<string, string> = {
  model_not_found: "Model not found",
  model_version_not_found: "Version not found",
  lineage_node_not_found: "Nothing to trace",
  invalid_query: "Bad filter",
};

/** The shared error state, with the registry's own error codes worded. */
export function RegistryError({ error }: { error: unknown }) {
  const { title, message } = describeError(error);
  const named = error instanceof ApiError ? TITLES[error.code] : undefined;
  return <Alert color="red" title={named ?? title} my="md" data-testid="error">{message}</Alert>;
}
