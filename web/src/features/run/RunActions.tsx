import { Button, Group, Modal, Stack, Text, Textarea } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router-dom";
import { api, type RunPublic } from "../../api";
import type { Permissions } from "../../lib/roles";

function DeleteRun({ run, onClose }: { run: RunPublic; onClose: () => void }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [reason, setReason] = useState("");
  const sealed = !!run.seal_hash;
  const deleted = useRef(false);
  // the deleted run leaves the cache once its page is gone: removed while the run page is
  // still mounted, that page's next render asks the server for the run again (a 404)
  useEffect(() => () => { if (deleted.current) client.removeQueries({ queryKey: ["run", run.id] }); }, [client, run.id]);
  const remove = useMutation({
    mutationFn: () => api.deleteRun(run.id, reason.trim() || null),
    onSuccess: () => {
      deleted.current = true;
      navigate(`/projects/${encodeURIComponent(run.project)}`, { replace: true });
      void client.invalidateQueries({ queryKey: ["runs", run.project] });
      void client.invalidateQueries({ queryKey: ["count", run.project] });
      void client.invalidateQueries({ queryKey: ["projects"] });
    },
  });
  return (
    <Modal opened onClose={onClose} title={`Delete run ${run.name}?`}>
      <Stack>
        <Text size="sm">
          The run and everything recorded for it are deleted. A tombstone keeps its id, project, status,
          seal and the reason; the id is never used again.
        </Text>
        <Textarea label={sealed ? "Reason (required: the run is sealed)" : "Reason (optional)"} autosize minRows={2}
                  value={reason} onChange={(e) => setReason(e.currentTarget.value)} data-autofocus />
        {remove.isError && <Text size="sm" c="red">{(remove.error as Error).message}</Text>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button color="red" loading={remove.isPending} disabled={sealed && !reason.trim()}
                  onClick={() => remove.mutate()}>Delete run</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** A maintainer's controls over the run: seal an ended run that is not sealed yet, delete
 *  it.  Shown only to those the project's role allows (the server judges each call too). */
export function RunActions({ run, may }: { run: RunPublic; may: Permissions }) {
  const client = useQueryClient();
  const [deleting, setDeleting] = useState(false);
  const seal = useMutation({
    mutationFn: () => api.sealRun(run.id),
    onSuccess: (sealed) => client.setQueryData(["run", run.id], sealed),
  });
  const canSeal = may.maintain && !run.seal_hash && run.status !== "running";
  if (!canSeal && !may.delete) return null;
  return (
    <Group gap="xs" ml="auto" data-testid="run-actions">
      {seal.isError && <Text size="xs" c="red">{(seal.error as Error).message}</Text>}
      {canSeal && <Button size="xs" variant="default" loading={seal.isPending} onClick={() => seal.mutate()}>Seal run</Button>}
      {may.delete && <Button size="xs" variant="light" color="red" onClick={() => setDeleting(true)}>Delete run…</Button>}
      {deleting && <DeleteRun run={run} onClose={() => setDeleting(false)} />}
    </Group>
  );
}
