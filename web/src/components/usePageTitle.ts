import { useEffect } from "react";

/** The browser tab's title: "<what> · LabLedger". */
export function usePageTitle(title: string | null | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · LabLedger` : "LabLedger";
  }, [title]);
}
