#!/usr/bin/env node
import { Command, InvalidArgumentError as CommanderArgumentError } from 'commander';
import { CampaignSpecError, expandCampaign } from '@lth/core';
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
  .description('run a campaign on this machine: starts the services, runs every round, writes results.json and results.csv')
  .argument('<campaign>', 'campaign file (YAML)')
  .option('--out <dir>', 'where results go (default: runs/<campaign name>)')
  .option('--store <dir>', 'artifact store (default: $LTH_STORE or .lth/store)')
  .option('--parallelism <n>', 'experiments at once (default: the campaign\'s, else one per core)')
  .option('--attempts <n>', 'attempts per round before an experiment is failed', '2')
  .option('--data <address>', 'use a running data service instead of starting one')
  .option('--pruning <address>', 'use a running pruning service')
  .option('--finetune <addresses>', 'use running fine-tuning services (comma-separated replicas)')
  .option('--evaluation <address>', 'use a running evaluation service')
  .option('--quiet', 'print nothing but errors')
  .option('--metrics-port <port>', 'serve the controller\'s Prometheus metrics on 127.0.0.1:PORT (0 picks one) and the services\' on ephemeral ports')
  .option('--metrics-linger <seconds>', 'keep services and metrics up this long after the campaign ends')
  .action((file: string, flags) => exitWith(() => runCommand(file, flags), file));

program
  .command('validate')
  .description('check a campaign file; prints one line per wrong field and exits 2 when invalid')
  .argument('<campaign>', 'campaign file (YAML)')
  .action((file: string) =>
    exitWith(async () => {
      const spec = await loadCampaign(file);
      const experiments = expandCampaign(spec);
      process.stdout.write(`${file}: valid; ${experiments.length} experiment(s), ${experiments[0]?.settings.rounds} pruning rounds each\n`);
      return 0;
    }, file),
  );

program
  .command('serve')
  .description('run one service: data, pruning, finetune or evaluation')
  .argument('<service>', 'data | pruning | finetune | evaluation')
  .option('--listen <host:port>', 'address to bind (port 0 picks one; the bound address is printed)', '127.0.0.1:0')
  .option('--data <address>', 'the data service (finetune, evaluation)')
  .option('--store <dir>', 'artifact store (default: $LTH_STORE or .lth/store)')
  .option('--cache <dir>', 'converted datasets (default: $LTH_CACHE or .lth/cache)')
  .option('--preload <names>', 'datasets to load before serving (data; default: all)')
  .option('--idx <name=dir...>', 'add a dataset from IDX files (data)')
  .option('--backend <name>', 'auto | tensorflow-gpu | tensorflow | wasm | cpu (default: $LTH_BACKEND or auto)')
  .option('--max-concurrent <n>', 'trainings at once (finetune)', integer)
  .option('--max-queued <n>', 'trainings waiting for a slot before RESOURCE_EXHAUSTED (finetune; default 16)', integer)
  .option('--metrics <host:port>', 'serve Prometheus metrics on GET /metrics at this address')
  .action((kind: string, flags) =>
    exitWith(async () => {
      const { parseServiceKind, runService } = await import('@lth/services');
      await runService(parseServiceKind(kind), {
        listen: flags.listen,
        dataAddress: flags.data,
        store: flags.store,
        cacheDir: flags.cache,
        preload: flags.preload?.split(','),
        idx: flags.idx,
        backend: flags.backend,
        maxConcurrent: flags.maxConcurrent,
        maxQueued: flags.maxQueued,
        metricsListen: flags.metrics,
      });
      return 0;
    }),
  );

program
  .command('controller')
  .description('run the Kubernetes controller: Campaign custom resources -> round Jobs (kubeconfig from KUBECONFIG, ~/.kube/config or the pod)')
  .option('--namespace <ns>', 'namespace to watch (default: $POD_NAMESPACE or the kubeconfig context)')
  .option('--store <dir>', 'artifact store, mounted at the same path in round Jobs (default: $LTH_STORE or .lth/store)')
  .option('--parallelism <n>', 'round Jobs per campaign when its spec says 0', integer, 4)
  .option('--global-limit <n>', 'round Jobs at once across campaigns', integer, 64)
  .option('--job-defaults <json>', 'round Job settings: image, serviceAccount, nodeSelector, tolerations, resources, backoffLimit, activeDeadlineSeconds, ttlSecondsAfterFinished, storeClaim, storeMount, services', (v: string) => JSON.parse(v) as object)
  .option('--identity <id>', 'leader-election identity (default: $POD_NAME)')
  .option('--resync-ms <ms>', 'how often every campaign is reconciled anyway', integer, 5000)
  .option('--metrics <host:port>', 'serve Prometheus metrics on GET /metrics at this address')
  .action((flags) =>
    exitWith(async () => {
      const { controllerMain } = await import('@lth/controller');
      const { ArtifactStore, defaultStoreRoot } = await import('@lth/store');
      const code = await controllerMain({
        namespace: flags.namespace,
        store: new ArtifactStore(flags.store ?? defaultStoreRoot()),
        jobDefaults: flags.jobDefaults,
        parallelism: flags.parallelism,
        globalLimit: flags.globalLimit,
        identity: flags.identity,
        resyncMs: flags.resyncMs,
        metricsListen: flags.metrics,
      });
      // Open watch connections and keep-alive sockets would hold the process: a server exits.
      process.exit(code);
    }),
  );

program
  .command('submit')
  .description('validate a campaign file and create it as a Campaign custom resource')
  .argument('<campaign>', 'campaign file (YAML)')
  .option('--namespace <ns>', 'namespace (default: the kubeconfig context)')
  .action((file: string, flags) => exitWith(async () => (await import('./cluster-commands.js')).submitCommand(file, flags), file));

program
  .command('status')
  .description('show the status of one campaign (with its experiments) or of all')
  .argument('[name]', 'campaign name')
  .option('--namespace <ns>', 'namespace (default: the kubeconfig context)')
  .action((name: string | undefined, flags) => exitWith(async () => (await import('./cluster-commands.js')).statusCommand(name, flags)));

program
  .command('results')
  .description('write results.json and results.csv of a campaign from the artifact store')
  .argument('<name>', 'campaign name')
  .option('--namespace <ns>', 'namespace (default: the kubeconfig context)')
  .option('--out <dir>', 'where results go (default: runs/<name>)')
  .option('--store <dir>', 'artifact store (default: $LTH_STORE or .lth/store)')
  .action((name: string, flags) => exitWith(async () => (await import('./cluster-commands.js')).resultsCommand(name, flags)));

program
  .command('crd')
  .description('print the Campaign CustomResourceDefinition (k8s/base/crd.yaml is this output)')
  .action(() =>
    exitWith(async () => {
      const { campaignCrd } = await import('@lth/core');
      const { stringify } = await import('yaml');
      process.stdout.write('# Generated by `lth crd` from the campaign schema that `lth validate` uses. Do not edit.\n' + stringify(campaignCrd(), { lineWidth: 0 }));
      return 0;
    }),
  );

program
  .command('round')
  .description('run one pre-training or IMP round against the services (what a Kubernetes Job runs)')
  .option('--pretraining <digest>', 'the pre-training plan')
  .option('--experiment <digest>', 'the experiment')
  .option('--round <n>', 'the round', integer)
  .requiredOption('--store <dir>', 'artifact store')
  .requiredOption('--data <address>', 'data service')
  .requiredOption('--pruning <address>', 'pruning service')
  .requiredOption('--finetune <address>', 'fine-tuning service')
  .requiredOption('--evaluation <address>', 'evaluation service')
  .action((flags) =>
    exitWith(async () => {
      const { roundMain } = await import('@lth/controller');
      return roundMain({
        pretraining: flags.pretraining,
        experiment: flags.experiment,
        round: flags.round,
        store: flags.store,
        services: { data: flags.data, pruning: flags.pruning, finetune: flags.finetune, evaluation: flags.evaluation },
      });
    }),
  );

void program.parseAsync();
