import type { Program, Programs } from '@lth/local';

const app = (name: string): Program => ({ command: process.execPath, args: [require.resolve(name)] });

/** The other deployables, run as child processes for a campaign on this machine. */
export function localPrograms(): Programs {
  return {
    data: app('@lth/data-app'),
    pruning: app('@lth/pruning-app'),
    finetune: app('@lth/finetune-app'),
    evaluation: app('@lth/evaluation-app'),
    driver: app('@lth/driver-app'),
  };
}
