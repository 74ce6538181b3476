#!/usr/bin/env node
// The data service as its own process (a Deployment's container runs this).
import { serviceMain } from '@lth/services';

serviceMain('data');
