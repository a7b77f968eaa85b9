/** How the console writes values for people: ages, sizes, percentages, names of things. */
import type { TicketQueue, TicketStatus } from "../../shared";

export const queueLabels: Record<TicketQueue, string> = {
  student_tech_team: "Student tech team",
  school_it: "School IT lead",
  district_repair: "District repair",
  vendor: "Vendor",
  coach: "Coach",
  building_admin: "Building admin",
};

export const statusLabels: Record<TicketStatus, string> = {
  open: "Open",
  in_progress: "In progress",
  waiting: "Waiting",
  resolved: "Resolved",
  closed: "Closed",
};

export function age(iso: string, now = Date.now()): string {
  const minutes = Math.max(0, Math.round((now - new Date(iso).getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function bytes(n: number | undefined): string | undefined {
  if (n === undefined) return undefined;
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value >= 10 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function percent(share: number | undefined): string | undefined {
  return share === undefined ? undefined : `${Math.round(share * 100)}%`;
}

/** The last part of an OU path, which is how people name a school. */
export function schoolName(path: string | undefined): string {
  if (!path) return "No school";
  return path.split("/").filter(Boolean).at(-1) ?? path;
}
