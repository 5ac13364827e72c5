#!/usr/bin/env node
import * as cdk from 'aws-cdk-lib';
import { ConsumerStack } from '../lib/consumer-stack';

const app = new cdk.App();
new ConsumerStack(app, 'ConsumerStack');
