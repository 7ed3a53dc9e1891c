/**
 * The resource every exported span carries. Process attributes are read on the main thread (the
 * worker's process.argv is its own); host attributes and the SDK's telemetry.sdk.* come from
 * upstream's detectors in the worker, where their cost is off the app's startup path.
 */
import type { Attributes } from '@opentelemetry/api';
import type { AgentConfig } from '../config/types';
import * as path from 'path';
import { findAppPackage } from '../config/app-package';

/** The folder of the app's package.json, else of its main script, else the working directory. */
export function findAppRoot(): string {
  const scriptDir = process.argv[1] ? path.dirname(path.resolve(process.argv[1])) : process.cwd();
  const appPackage = findAppPackage(scriptDir);
  return appPackage ? path.dirname(appPackage.file) : scriptDir;
}

export function processResourceAttributes(): Attributes {
  return {
    'process.pid': process.pid,
    'process.executable.name': process.title,
    'process.executable.path': process.execPath,
    // Only the script, not the full argv: command-line arguments often carry secrets.
    ...(process.argv[1] ? { 'process.command': process.argv[1] } : {}),
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'process.runtime.description': 'Node.js',
  };
}

export function serviceResourceAttributes(config: AgentConfig): Attributes {
  const attributes: Attributes = { ...config.resourceAttributes, 'service.name': config.serviceName };
  if (config.serviceVersion) attributes['service.version'] = config.serviceVersion;
  if (config.environment) attributes['deployment.environment.name'] = config.environment;
  attributes['telemetry.distro.name'] = '@x/otel-agent';
  attributes['telemetry.distro.version'] = require('../../../package.json').version as string;
  return attributes;
}
