/** How to start one of lth's processes: `command ...args` (e.g. node and an app's main.js). */
export interface Program {
  command: string;
  args: string[];
}

/** The processes a campaign on this machine starts: the four services and the driver. */
export interface Programs {
  data: Program;
  pruning: Program;
  finetune: Program;
  evaluation: Program;
  driver: Program;
}
