#!/usr/bin/env node
// The evaluation service as its own process (a Deployment's container runs this).
import { serviceMain } from '@lth/services';

serviceMain('evaluation');
