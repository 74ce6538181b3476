import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { campaignSchema, type CampaignSpec } from './campaign-schema';
import { InvalidArgumentError } from '../errors';
import { withRecipesExpanded } from './training-recipes';

export interface SpecIssue {
  /** Dotted path of the field at fault, e.g. `finetune.optimizer.learningRate` or `pretrainings[1].kind`. */
  path: string;
  message: string;
}

/** A campaign that does not validate; carries one issue per wrong field. */
export class CampaignSpecError extends InvalidArgumentError {
  constructor(readonly issues: SpecIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** One line per field: a value can break several rules (2^60 is neither a safe integer nor <= the maximum). */
function zodIssues(error: z.ZodError): SpecIssue[] {
  const byPath = new Map<string, string>();
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    if (!byPath.has(path)) byPath.set(path, issue.message);
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}

/** Validates an already-parsed document (a CR's spec, say). */
export function validateCampaign(document: unknown): CampaignSpec {
  // A recipe is a starting point, not a setting: it is expanded first, so ids see only what it set.
  const result = campaignSchema.safeParse(withRecipesExpanded(document));
  if (!result.success) throw new CampaignSpecError(zodIssues(result.error));
  return result.data;
}

/** Aliases a campaign may expand (yaml's default budget, stated): more is a resource-exhaustion attack. */
const MAX_YAML_ALIASES = 100;

/** A campaign file is a page of settings: anything larger is refused before it is parsed. */
export const MAX_CAMPAIGN_CHARACTERS = 1024 * 1024;

/** Parses and validates campaign YAML (or JSON) text. */
export function parseCampaign(text: string): CampaignSpec {
  if (text.length > MAX_CAMPAIGN_CHARACTERS) {
    const message = `the campaign is ${text.length} characters; at most ${MAX_CAMPAIGN_CHARACTERS}`;
    throw new CampaignSpecError([{ path: '(file)', message }]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    throw new CampaignSpecError(
      doc.errors.map((e) => ({
        path: `(yaml line ${lineCounter.linePos(e.pos[0]).line})`,
        message: e.message.split('\n')[0]!,
      })),
    );
  }
  let document: unknown;
  try {
    // Aliases are expanded with a budget: a few lines of anchors cannot become billions of nodes.
    document = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    throw new CampaignSpecError([{ path: '(yaml)', message: (e as Error).message.split('\n')[0]! }]);
  }
  return validateCampaign(document);
}
