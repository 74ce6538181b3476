#!/usr/bin/env node
import { Command, InvalidArgumentError as CommanderArgumentError } from 'commander';
import { CampaignSpecError } from '@lth/core';
import { campaignShape } from './campaign-shape';
import { formatSpecError, loadCampaign } from './campaign-file';
import { runCommand } from './run-command';

const program = new Command('lth')
  .description('Lottery tickets in pre-trained vision models: iterative magnitude pruning campaigns')
  .showHelpAfterError()
  // Usage errors exit 2, like an invalid campaign (inherited by every subcommand).
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CommanderArgumentError('must be a whole number');
  return n;
}

/** Exit codes: 0 done, 1 failed, 2 bad input (a campaign that does not validate, wrong flags). */
async function exitWith(work: () => Promise<number>, file?: string): Promise<void> {
  try {
    process.exitCode = await work();
  } catch (e) {
    if (e instanceof CampaignSpecError) {
      process.stderr.write(formatSpecError(file ?? 'campaign', e) + '\n');
      process.exitCode = 2;
    } else {
      process.stderr.write(`lth: ${(e as Error).message}\n`);
      process.exitCode = (e as { kind?: string }).kind === 'invalid-argument' ? 2 : 1;
    }
  }
}

program
  .command('run')
  .description(
    'run a campaign on this machine: starts the services, runs every round, writes results.json and results.csv',
  )
  .argument('<campaign>', 'campaign file (YAML)')
  .option('--out <dir>', 'where results go (default: runs/<campaign name>)')
  .option('--store <dir>', 'artifact store (default: $LTH_STORE or .lth/store)')
  .option('--parallelism <n>', "experiments at once (default: the campaign's, else one per core)")
  .option('--attempts <n>', "attempts per task before its experiment fails (default: the campaign's)", integer)
  .option('--data <address>', 'use a running data service instead of starting one')
  .option('--pruning <address>', 'use a running pruning service')
  .option('--finetune <addresses>', 'use running fine-tuning services (comma-separated replicas)')
  .option('--evaluation <address>', 'use a running evaluation service')
  .option('--quiet', 'print nothing but errors')
  .option(
    '--metrics-port <port>',
    "serve the controller's Prometheus metrics on 127.0.0.1:PORT (0 picks one) and the services' on ephemeral ports",
  )
  .option('--metrics-linger <seconds>', 'keep services and metrics up this long after the campaign ends')
  .action((file: string, flags) => exitWith(() => runCommand(file, flags), file));

program
  .command('validate')
  .description('check a campaign file; prints one line per wrong field and exits 2 when invalid')
  .argument('<campaign>', 'campaign file (YAML)')
  .action((file: string) =>
    exitWith(async () => {
      const spec = await loadCampaign(file);
      process.stdout.write(`${file}: valid; ${campaignShape(spec)}\n`);
      return 0;
    }, file),
  );

program
  .command('submit')
  .description('validate a campaign file and create it as a Campaign custom resource')
  .argument('<campaign>', 'campaign file (YAML)')
  .option('--namespace <ns>', 'namespace (default: the kubeconfig context)')
  .action((file: string, flags) =>
    exitWith(async () => (await import('./cluster-commands.js')).submitCommand(file, flags), file),
  );

program
  .command('status')
  .description('show the status of one campaign (with its experiments) or of all')
  .argument('[name]', 'campaign name')
  .option('--namespace <ns>', 'namespace (default: the kubeconfig context)')
  .action((name: string | undefined, flags) =>
    exitWith(async () => (await import('./cluster-commands.js')).statusCommand(name, flags)),
  );

program
  .command('retry')
  .description('run the failed tasks of a campaign again (they are remembered until asked)')
  .argument('<name>', 'campaign name')
  .option('--namespace <ns>', 'namespace (default: the kubeconfig context)')
  .action((name: string, flags) =>
    exitWith(async () => (await import('./cluster-commands.js')).retryCommand(name, flags)),
  );

program
  .command('results')
  .description('write results.json and results.csv of a campaign from the artifact store')
  .argument('<name>', 'campaign name')
  .option('--namespace <ns>', 'namespace (default: the kubeconfig context)')
  .option('--out <dir>', 'where results go (default: runs/<name>)')
  .option('--store <dir>', 'artifact store (default: $LTH_STORE or .lth/store)')
  .action((name: string, flags) =>
    exitWith(async () => (await import('./cluster-commands.js')).resultsCommand(name, flags)),
  );

/** A whole number >= 1 (a count). */
function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CommanderArgumentError('must be a whole number >= 1');
  return n;
}

const analysisOptions = (command: Command) =>
  command
    .option('--store <dir>', 'artifact store the campaign ran with (default: $LTH_STORE or .lth/store)')
    .option(
      '--round <n>',
      'the round whose tickets are compared (default: the deepest every experiment finished)',
      integer,
    )
    .option('--sigmas <list>', 'relative noise scales of the perturbation probe (default: 0,0.1,0.2,0.4,0.8)')
    .option('--draws <n>', 'draws of the noise per scale (default: 3)', count)
    .option('--no-sensitivity', 'skip the perturbation probe (it evaluates every ticket several times)')
    .option('--campaign <file>', 'the campaign file (default: DIR/campaign.yaml, which lth run writes)')
    .option('--evaluation <address>', 'use a running evaluation service instead of starting the services')
    .option('--quiet', 'print nothing but errors and the paths written');

analysisOptions(
  program
    .command('analyze')
    .description(
      "the paper's answers from a results directory: accuracy curves, winning tickets, transfer matrix, " +
        'mask overlap, per-layer sparsity, perturbation sensitivity; writes DIR/analysis.json and DIR/tables/*.csv',
    )
    .argument('<dir>', 'a results directory (runs/<campaign>, with results.json)'),
).action((dir: string, flags) =>
  exitWith(async () => {
    const { analyzeDirectory } = await import('./analyze-command.js');
    const { written } = await analyzeDirectory(dir, flags);
    process.stdout.write(`wrote ${written.join(', ')}\n`);
    return 0;
  }),
);

analysisOptions(
  program
    .command('report')
    .description(
      'one self-contained HTML report of a results directory (analysing it first when needed), ' +
        'with each chart as SVG and PNG and each table as CSV beside it',
    )
    .argument('<dir>', 'a results directory (runs/<campaign>, with results.json)')
    .option('--out <file>', 'the report (default: DIR/report.html)'),
).action((dir: string, flags) =>
  exitWith(async () => {
    const { writeRunReport } = await import('./report-command.js');
    process.stdout.write(`report: ${await writeRunReport(dir, flags)}\n`);
    return 0;
  }),
);

program
  .command('export')
  .description(
    'write a ticket as files: the rewound weights with the mask applied as a TF.js layers model (or a PyTorch ' +
      'state_dict), the mask, and card.json (settings, sparsity per layer, accuracy, digests)',
  )
  .argument('<experiment>', 'experiment id, or a unique prefix of it (results.json lists them)')
  .requiredOption('--round <n>', 'the IMP round whose ticket to write', integer)
  .requiredOption('--out <dir>', 'where the files go')
  .option('--format <format>', 'tfjs (model.json + weights.bin) or pytorch (state_dict.pt)', 'tfjs')
  .option(
    '--weights <which>',
    'rewound (m ⊙ θ at the rewind point, the ticket) or trained (after fine-tuning)',
    'rewound',
  )
  .option('--campaign <file>', 'the campaign the experiment is in (default: look in runs/*/campaign.yaml)')
  .option('--store <dir>', 'artifact store (default: $LTH_STORE or .lth/store)')
  .action((id: string, flags) =>
    exitWith(async () => {
      const { exportCommand } = await import('./export-command.js');
      process.stdout.write(`wrote ${(await exportCommand(id, flags)).join(', ')}\n`);
      return 0;
    }),
  );

const weights = program.command('weights').description('bring pre-trained weights into the artifact store');

weights
  .command('import')
  .description(
    'import a PyTorch checkpoint of a torchvision ResNet (torch.save, PyTorch 1.6+) as θ_p; ' +
      'nothing in the file is executed',
  )
  .argument('<file>', 'the checkpoint (.pth, .pth.tar, .pt)')
  .requiredOption('--arch <arch>', 'resnet18 | resnet50 | resnet152 (or resnet-18, ...)')
  .option('--prefix <prefix>', "keys under this prefix are the model's (MoCo v2: module.encoder_q.)")
  .option('--keep-head', "keep the checkpoint's classifier (only to fine-tune on the task it was trained for)")
  .option('--store <dir>', 'artifact store (default: $LTH_STORE or .lth/store)')
  .option('--out <file>', 'also write the digest to this file')
  .action((file: string, flags) =>
    exitWith(async () => (await import('./weights-command.js')).weightsImportCommand(file, flags)),
  );

program
  .command('crd')
  .description('print the Campaign CustomResourceDefinition (k8s/base/crd.yaml is this output)')
  .action(() =>
    exitWith(async () => {
      const { campaignCrd } = await import('@lth/kube-core');
      const { stringify } = await import('yaml');
      process.stdout.write(
        '# Generated by `lth crd` from the campaign schema that `lth validate` uses. Do not edit.\n' +
          stringify(campaignCrd(), { lineWidth: 0 }),
      );
      return 0;
    }),
  );

void program.parseAsync();
