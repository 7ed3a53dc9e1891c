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

/** The service's identity; OTEL_RESOURCE_ATTRIBUTES only with the `env` detector (on by default). */
export function serviceResourceAttributes(config: AgentConfig): Attributes {
  const fromEnv = config.resourceDetectors.includes('env') ? config.resourceAttributes : {};
  const attributes: Attributes = { ...fromEnv, 'service.name': config.serviceName };
  if (config.serviceVersion) attributes['service.version'] = config.serviceVersion;
  if (config.environment) attributes['deployment.environment.name'] = config.environment;
  attributes['telemetry.distro.name'] = '@x/otel-agent';
  attributes['telemetry.distro.version'] = require('../../../package.json').version as string;
  return attributes;
}

/**
 * The resource of every exported span, built once in the export worker from the configured detectors
 * (OTEL_NODE_RESOURCE_DETECTORS): upstream's host and os detectors, the container detector (container.id
 * from cgroup v1/v2), the cloud detectors only when named, the main thread's process attributes, a
 * service.instance.id per process, then the service's own attributes, which win.
 */
export function buildResource(config: AgentConfig, processAttributes: Attributes, serviceInstanceId: string): import('@opentelemetry/resources').Resource {
  const resources = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const wanted = new Set(config.resourceDetectors);
  const detectors: import('@opentelemetry/resources').ResourceDetector[] = [];
  if (wanted.has('host')) detectors.push(resources.hostDetector);
  if (wanted.has('os')) detectors.push(resources.osDetector);
  if (wanted.has('container'))
    detectors.push((require('@opentelemetry/resource-detector-container') as typeof import('@opentelemetry/resource-detector-container')).containerDetector);
  if (wanted.has('aws')) {
    const aws = require('@opentelemetry/resource-detector-aws') as typeof import('@opentelemetry/resource-detector-aws');
    detectors.push(aws.awsEc2Detector, aws.awsEcsDetector, aws.awsEksDetector, aws.awsBeanstalkDetector, aws.awsLambdaDetector);
  }
  if (wanted.has('gcp')) detectors.push((require('@opentelemetry/resource-detector-gcp') as typeof import('@opentelemetry/resource-detector-gcp')).gcpDetector);
  if (wanted.has('azure')) {
    const azure = require('@opentelemetry/resource-detector-azure') as typeof import('@opentelemetry/resource-detector-azure');
    detectors.push(
      azure.azureAppServiceDetector,
      azure.azureFunctionsDetector,
      azure.azureVmDetector,
      azure.azureAksDetector,
      azure.azureContainerAppsDetector,
    );
  }
  if (wanted.has('alibaba')) {
    detectors.push(
      (require('@opentelemetry/resource-detector-alibaba-cloud') as typeof import('@opentelemetry/resource-detector-alibaba-cloud')).alibabaCloudEcsDetector,
    );
  }
  let resource = resources.defaultResource().merge(resources.detectResources({ detectors }));
  if (wanted.has('process')) resource = resource.merge(resources.resourceFromAttributes(processAttributes));
  if (wanted.has('serviceinstance')) resource = resource.merge(resources.resourceFromAttributes({ 'service.instance.id': serviceInstanceId }));
  return resource.merge(resources.resourceFromAttributes(serviceResourceAttributes(config)));
}
