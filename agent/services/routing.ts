/**
 * Where a new ticket goes first. Tier 1 is the student tech team; problems they cannot fix at a
 * desk start with the school IT lead; how-to questions go to coaches.
 */
import type { ProblemCategory, TicketQueue } from "../../shared";

export interface Placement {
  queue: TicketQueue;
  tier: number;
}

const toTechTeam: Placement = { queue: "student_tech_team", tier: 1 };
const toSchoolIt: Placement = { queue: "school_it", tier: 2 };

const placements: Record<ProblemCategory, Placement> = {
  wont_turn_on: toTechTeam,
  battery_charging: toTechTeam,
  screen: toTechTeam,
  keyboard_trackpad: toTechTeam,
  wifi_internet: toTechTeam,
  sign_in: toTechTeam,
  app_website: toTechTeam,
  slow: toTechTeam,
  other: toTechTeam,
  // Physical damage needs a repair decision (and maybe a loaner) from the IT lead.
  broken_damaged: toSchoolIt,
  // Only IT leads can disable a device; a missing device must reach them the same day.
  lost_stolen: toSchoolIt,
  how_to: { queue: "coach", tier: 1 },
};

export function placeNewTicket(category: ProblemCategory): Placement {
  return placements[category];
}
