import { Box, Code, Paper, Text, TextInput, UnstyledButton } from "@mantine/core";
import { forwardRef, useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, ApiError } from "../../api";
import { applySuggestion, suggestions, type ProjectKeys } from "../../lib/suggest";

interface Props {
  value: string;
  onApply: (filter: string) => void;
  error: unknown;
  keys?: ProjectKeys;
}

/** The filter box: the search language, suggestions for field names, and the parse error
 *  shown inline with a caret under its position. */
export const FilterBox = forwardRef<HTMLInputElement, Props>(function FilterBox({ value, onApply, error, keys }, ref) {
  const [text, setText] = useState(value);
  const [cursor, setCursor] = useState(0);
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);
  useEffect(() => setText(value), [value]);

  const options = keys && open ? suggestions(text, cursor, keys) : [];
  const accept = (field: string, input: HTMLInputElement) => {
    const next = applySuggestion(text, cursor, field);
    setText(next.text);
    setCursor(next.cursor);
    setOpen(false);
    requestAnimationFrame(() => input.setSelectionRange(next.cursor, next.cursor));
  };
  // check what is being typed (debounced) so the error shows before Enter
  const [typed, setTyped] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setTyped(text), 350);
    return () => clearTimeout(t);
  }, [text]);
  const live = useQuery({ queryKey: ["check", typed, []], queryFn: () => api.checkFilter(typed), enabled: typed !== value });
  const shown = typed === value ? error : text === typed ? live.data ?? null : null;
  const queryError = shown instanceof ApiError && shown.code === "invalid_query" ? shown : null;
  const position = typeof queryError?.details.position === "number" ? queryError.details.position : null;

  return (
    <Box pos="relative" style={{ flex: 1 }}>
      <TextInput
        ref={ref}
        data-testid="filter-input"
        placeholder="Filter: metrics.acc > 0.9 and params.optimizer = 'adam'   (press / to focus, Enter to apply)"
        value={text}
        error={queryError ? " " : undefined}
        onChange={(e) => {
          setText(e.currentTarget.value);
          setCursor(e.currentTarget.selectionStart ?? e.currentTarget.value.length);
          setOpen(true);
          setActive(0);
        }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          const input = e.currentTarget;
          if (options.length && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
            e.preventDefault();
            setActive((a) => (a + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length);
          } else if (options.length && e.key === "Tab") {
            e.preventDefault();
            accept(options[active], input);
          } else if (e.key === "Enter") {
            if (options.length && open && active >= 0 && text.slice(0, cursor).match(/[\w.`]$/)) {
              e.preventDefault();
              accept(options[active], input);
              return;
            }
            setOpen(false);
            if (!(text === typed && live.data)) onApply(text);
          } else if (e.key === "Escape") {
            setOpen(false);
            input.blur();
          }
        }}
        onKeyUp={(e) => setCursor(e.currentTarget.selectionStart ?? 0)}
        onClick={(e) => setCursor(e.currentTarget.selectionStart ?? 0)}
      />
      {options.length > 0 && (
        <Paper withBorder shadow="sm" pos="absolute" style={{ zIndex: 20, left: 0, right: 0 }} data-testid="filter-suggestions">
          {options.map((option, i) => (
            <UnstyledButton
              key={option}
              display="block"
              w="100%"
              px="sm"
              py={4}
              bg={i === active ? "var(--mantine-color-blue-light)" : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                const input = (e.currentTarget.closest("div")?.parentElement?.querySelector("input") ?? null) as HTMLInputElement | null;
                if (input) accept(option, input);
              }}
            >
              <Text size="sm" ff="monospace">{option}</Text>
            </UnstyledButton>
          ))}
        </Paper>
      )}
      {queryError && (
        <Box mt={4} data-testid="filter-error">
          {position !== null && (
            <Code block style={{ whiteSpace: "pre" }}>
              {(shown === error ? value : typed) + "\n" + " ".repeat(Math.max(0, position)) + "^"}
            </Code>
          )}
          <Text size="sm" c="red">{queryError.message}</Text>
        </Box>
      )}
    </Box>
  );
});
