import { ActionIcon, Code, CopyButton, Group, Tooltip } from "@mantine/core";
import { shortDigest } from "../../../lib/artifactPreview";

function Icon({ copied }: { copied: boolean }) {
  return (
    <svg width="12" height="12" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden>
      {copied ? <path d="M3 8.5l3 3 7-7" /> : <><rect x="5" y="5" width="9" height="9" rx="1.5" /><path d="M11 5V3.5A1.5 1.5 0 0 0 9.5 2h-6A1.5 1.5 0 0 0 2 3.5v6A1.5 1.5 0 0 0 3.5 11H5" /></>}
    </svg>
  );
}

/** The first 12 hex digits of a SHA-256; the whole digest on hover and on the copy button. */
export function Digest({ digest, copy = false }: { digest: string; copy?: boolean }) {
  return (
    <Group gap={4} wrap="nowrap" component="span">
      <Tooltip label={`sha256:${digest}`} openDelay={300} withinPortal>
        <Code data-testid="artifact-digest" data-digest={digest} style={{ whiteSpace: "nowrap" }}>
          {shortDigest(digest)}
        </Code>
      </Tooltip>
      {copy && (
        <CopyButton value={digest} timeout={1500}>
          {({ copied, copy: doCopy }) => (
            <Tooltip label={copied ? "copied" : "copy the full digest"} withinPortal>
              <ActionIcon size="xs" variant="subtle" color={copied ? "teal" : "gray"} onClick={doCopy}
                          aria-label="copy digest" data-testid="copy-digest">
                <Icon copied={copied} />
              </ActionIcon>
            </Tooltip>
          )}
        </CopyButton>
      )}
    </Group>
  );
}
