/** Set-up for route test files whose every test starts the same way: a fresh agent before each test, closed after. */
import { afterEach, beforeEach } from "vitest";
import type { ProblemReport, Ticket } from "../../shared";
import { createTestAgent, type TestAgent } from "./agent";
import { type District, seedDistrict } from "./district";
import { type SignedIn, signIn } from "./staff";

export interface SeededAgent {
  agent: TestAgent;
  district: District;
  /** The person `seededAgentEach` was asked to sign in. */
  signedIn: SignedIn;
}

export interface EnrolledAgent {
  agent: TestAgent;
  /** The enrolled device's credential. */
  credential: string;
  /** Files a sample report from the enrolled device, or from the device whose credential is `as`. */
  file(overrides?: Partial<ProblemReport>, as?: string): Promise<Ticket>;
}

/**
 * Before each test, a fresh agent with the small district seeded and one of its staff signed in
 * (the one whose email `whom` picks), handed to `use`.
 */
export function seededAgentEach(whom: (district: District) => string, use: (seeded: SeededAgent) => void): void {
  freshAgentEach(async (agent) => {
    const district = await seedDistrict(agent);
    const signedIn = await signIn(agent, whom(district));
    use({ agent, district, signedIn });
  });
}

/** Before each test, a fresh agent with one device enrolled, handed to `use`. */
export function enrolledAgentEach(use: (enrolled: EnrolledAgent) => void): void {
  freshAgentEach(async (agent) => {
    const credential = await agent.enroll();
    use({ agent, credential, file: (overrides = {}, as = credential) => agent.file(as, overrides) });
  });
}

function freshAgentEach(setUp: (agent: TestAgent) => Promise<void>): void {
  let agent: TestAgent | undefined;
  beforeEach(async () => {
    agent = undefined;
    agent = await createTestAgent();
    await setUp(agent);
  });
  afterEach(() => agent?.close());
}
