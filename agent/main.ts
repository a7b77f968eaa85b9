/** `npm run agent`: the agent alone, configured by environment (see README). */
import { ConfigError, loadConfig } from "./config";
import { startAgent } from "./server";

try {
  const agent = await startAgent(loadConfig(process.env));
  const stop = async () => {
    await agent.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
