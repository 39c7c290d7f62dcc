import { Anchor, Code, Table, Text } from "@mantine/core";
import { formatBytes } from "../../../lib/format";
import { Facts, NotCaptured, Section, type Fact } from "./Facts";
import { formatValue, isObject, section, sectionState, text, type EnvironmentDoc } from "./model";

const mono = (v: unknown) => (v == null || v === "" ? "—" : <Code>{formatValue(v)}</Code>);
const bytes = (v: unknown) => (typeof v === "number" ? formatBytes(v) : formatValue(v));

const PYTHON: Fact[] = [
  { key: "version", label: "Version" },
  { key: "implementation", label: "Implementation" },
  { key: "executable", label: "Executable", render: mono },
  { key: "prefix", label: "Prefix", render: mono },
  { key: "base_prefix", label: "Base prefix", render: mono },
  { key: "virtualenv", label: "Virtualenv" },
  { key: "conda", label: "Conda" },
  { key: "build", label: "Build" },
];

export function PythonSection({ env }: { env: EnvironmentDoc }) {
  const python = section(env, "python");
  return (
    <Section title="Python" testId="env-python">
      {python ? <Facts data={python} fields={PYTHON} /> : <NotCaptured what="packages" />}
    </Section>
  );
}

const SYSTEM: Fact[] = [
  { key: "hostname", label: "Host" },
  { key: "user", label: "User" },
  { key: "os", label: "OS" },
  { key: "distro", label: "Distribution" },
  { key: "kernel", label: "Kernel" },
  { key: "machine", label: "Machine" },
  { key: "platform", label: "Platform" },
  { key: "cpu_model", label: "CPU" },
  { key: "cpu_count", label: "Logical CPUs" },
  { key: "cpu_usable", label: "Usable CPUs" },
  { key: "cpu_quota", label: "CPU quota (cgroup)" },
  { key: "memory_bytes", label: "Memory", render: bytes },
  { key: "memory_limit_bytes", label: "Memory limit (cgroup)", render: bytes },
  { key: "cuda_visible_devices", label: "CUDA_VISIBLE_DEVICES" },
  { key: "os_release", label: "OS release" },
  { key: "os_version", label: "OS version" },
];

function Gpus({ gpus }: { gpus: unknown }) {
  const list = Array.isArray(gpus) ? gpus.filter(isObject) : [];
  if (!list.length) return <Text size="sm" c="dimmed" data-testid="gpus">No GPUs found (nvidia-smi absent or reporting none).</Text>;
  return (
    <Table withTableBorder fz="sm" data-testid="gpus">
      <Table.Thead><Table.Tr><Table.Th>#</Table.Th><Table.Th>GPU</Table.Th><Table.Th>Memory</Table.Th><Table.Th>Driver</Table.Th></Table.Tr></Table.Thead>
      <Table.Tbody>
        {list.map((g, i) => (
          <Table.Tr key={i} data-testid="gpu-row">
            <Table.Td>{formatValue(g.index ?? i)}</Table.Td>
            <Table.Td>{formatValue(g.name)}</Table.Td>
            <Table.Td>{typeof g.memory_mib === "number" ? formatBytes(g.memory_mib * 1024 * 1024) : formatValue(g.memory_mib)}</Table.Td>
            <Table.Td>{formatValue(g.driver)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function SystemSection({ env }: { env: EnvironmentDoc }) {
  const system = section(env, "system");
  return (
    <Section title="System" testId="env-system">
      {system ? (
        <>
          <Facts data={system} fields={SYSTEM} hide={["gpus"]} />
          <Text size="xs" c="dimmed">GPUs</Text>
          <Gpus gpus={system.gpus} />
        </>
      ) : (
        <NotCaptured what="system" />
      )}
    </Section>
  );
}

const CONTAINER: Fact[] = [
  { key: "in_container", label: "In a container" },
  { key: "runtime", label: "Runtime" },
  { key: "image", label: "Image", render: mono },
  { key: "image_digest", label: "Image digest", render: mono },
  { key: "image_id", label: "Image id", render: mono },
  { key: "image_source", label: "Image known from" },
  { key: "container_id", label: "Container id", render: mono },
  { key: "name", label: "Name" },
  { key: "kubernetes", label: "Kubernetes" },
  { key: "signals", label: "Detected by" },
];

export function ContainerSection({ env }: { env: EnvironmentDoc }) {
  const container = section(env, "container");
  const state = sectionState(env, "container");
  return (
    <Section title="Container" testId="env-container">
      {container ? <Facts data={container} fields={CONTAINER} />
        : <NotCaptured what="container" none={state === "none" ? "Not in a container." : undefined} />}
    </Section>
  );
}

const CI: Fact[] = [
  { key: "system", label: "System" },
  {
    key: "url", label: "Job",
    render: (v) => {
      const url = text(v);
      return url && /^https?:\/\//.test(url)
        ? <Anchor href={url} target="_blank" rel="noreferrer" data-testid="ci-link">{url}</Anchor>
        : formatValue(v);
    },
  },
  { key: "repository", label: "Repository" },
  { key: "pipeline_id", label: "Pipeline" },
  { key: "build_id", label: "Build" },
  { key: "job", label: "Job name" },
  { key: "attempt", label: "Attempt" },
  { key: "commit", label: "Commit", render: mono },
  { key: "branch", label: "Branch" },
];

export function CiSection({ env }: { env: EnvironmentDoc }) {
  const ci = section(env, "ci");
  const state = sectionState(env, "ci");
  return (
    <Section title="CI" testId="env-ci">
      {ci ? <Facts data={ci} fields={CI} />
        : <NotCaptured what="ci" none={state === "none" ? "Not run in CI." : undefined} />}
    </Section>
  );
}
