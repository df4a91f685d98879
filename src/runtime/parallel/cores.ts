/**
 * How many cores this process is given: the CPUs it may run on
 * (`os.availableParallelism()`, which honours affinity and cpusets) capped by
 * a cgroup CPU quota, which a container's `--cpus 2` sets but which neither
 * the CPU list nor libuv reflects. Asking for more threads than the quota
 * allows makes every step slower, not faster: the threads are throttled.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/** The most threads any mtl setting accepts (MTL_BLAS_THREADS, `mtl train --threads`). */
export const MAX_THREADS = 1024;

/** The cores available to this process: at least 1. */
export function availableCores(): number {
  return coresWithin(availableParallelism(), cgroupCpuLimit());
}

/** `cpus` capped by a CPU limit (fractions round up: 1.5 cores can keep two threads busy half the time). */
export function coresWithin(cpus: number, limit: number | null): number {
  const capped = limit === null ? cpus : Math.min(cpus, Math.ceil(limit));
  return Math.max(1, capped);
}

/**
 * A cgroup's CPU limit in cores from the files that state it: cgroup v2's
 * `cpu.max` ("max 100000" or "200000 100000"), or v1's cfs quota and period
 * (quota -1 for none). Null when there is no limit or the text is not understood.
 */
export function parseCpuLimit(files: { cpuMax?: string; cfsQuota?: string; cfsPeriod?: string }): number | null {
  if (files.cpuMax !== undefined) {
    const [quota, period] = files.cpuMax.trim().split(/\s+/);
    return ratio(quota, period);
  }
  return ratio(files.cfsQuota?.trim(), files.cfsPeriod?.trim());
}

function ratio(quota: string | undefined, period: string | undefined): number | null {
  const q = Number(quota);
  const p = Number(period);
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : null;
}

/** This process's cgroup CPU limit on Linux, read from /sys/fs/cgroup; null anywhere else or when unlimited. */
function cgroupCpuLimit(): number | null {
  if (process.platform !== "linux") return null;
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  };
  // cgroup v2: the process's own group ("0::/path" in /proc/self/cgroup), else the root of the mount.
  const group = /^0::(\/.*)$/m.exec(read("/proc/self/cgroup") ?? "")?.[1] ?? "/";
  for (const dir of new Set([`/sys/fs/cgroup${group === "/" ? "" : group}`, "/sys/fs/cgroup"])) {
    const cpuMax = read(`${dir}/cpu.max`);
    if (cpuMax !== undefined) return parseCpuLimit({ cpuMax });
  }
  const v1 = "/sys/fs/cgroup/cpu";
  const cfsQuota = read(`${v1}/cpu.cfs_quota_us`);
  const cfsPeriod = read(`${v1}/cpu.cfs_period_us`);
  return cfsQuota === undefined || cfsPeriod === undefined ? null : parseCpuLimit({ cfsQuota, cfsPeriod });
}
