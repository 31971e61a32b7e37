import demoChats from "./demo-chats.json";
import { ChatScript } from "./simulator";

/**
 * The simulator's built-in conversations, written for this package (demo-chats.json). Names, numbers,
 * addresses and order ids are fictional (UK 07700 900xxx, US 555-01xx ranges).
 */
export const DEMO_SCRIPT: ChatScript = demoChats;
