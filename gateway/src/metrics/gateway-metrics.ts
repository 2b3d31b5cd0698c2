import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Channel } from '../protocol/messages';

type Direction = 'in' | 'out';

/** Where a kernel runs, as metric labels. */
export interface KernelLabels {
  readonly exec_config: string;
  readonly backend: string;
}

/**
 * The gateway's Prometheus metrics, in a registry of its own (several gateways can live in
 * one process, as in tests). Hot-path counters are pre-bound per label set.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly messages: Counter<'channel' | 'direction'>;
  private readonly messageCounters = new Map<string, { inc(): void }>();
  readonly startLatency: Histogram<'exec_config' | 'backend'>;
  readonly websockets: Gauge;
  readonly restarts: Counter<'kind' | 'exec_config' | 'backend'>;

  /** `kernels` lists each kernel's execution state and where it runs. */
  constructor(kernels: () => readonly (KernelLabels & { readonly state: string })[]) {
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_' });
    new Gauge({
      name: 'berth_kernels',
      help: 'Kernels by execution state, exec config and backend',
      labelNames: ['state', 'exec_config', 'backend'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const kernel of kernels()) this.inc({ state: kernel.state, exec_config: kernel.exec_config, backend: kernel.backend });
      },
    });
    this.startLatency = new Histogram({
      name: 'berth_kernel_start_seconds',
      help: 'Time from start request to kernel_info_reply, by exec config and backend',
      labelNames: ['exec_config', 'backend'],
      buckets: [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120],
      registers: [this.registry],
    });
    this.messages = new Counter({
      name: 'berth_messages_total',
      help: 'Jupyter messages relayed, by channel and direction (in: client to kernel)',
      labelNames: ['channel', 'direction'],
      registers: [this.registry],
    });
    this.websockets = new Gauge({ name: 'berth_websockets_open', help: 'Open kernel WebSockets', registers: [this.registry] });
    this.restarts = new Counter({
      name: 'berth_kernel_restarts_total',
      help: 'Kernel restarts (requested or automatic), by exec config and backend',
      labelNames: ['kind', 'exec_config', 'backend'],
      registers: [this.registry],
    });
  }

  countMessage(channel: Channel, direction: Direction): void {
    const key = `${channel}:${direction}`;
    let counter = this.messageCounters.get(key);
    if (!counter) {
      counter = this.messages.labels(channel, direction);
      this.messageCounters.set(key, counter);
    }
    counter.inc();
  }
}
