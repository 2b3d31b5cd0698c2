/** What every container backend (Docker, Kubernetes) needs to know about one kernel launch. */
export interface KernelContainerPlan {
  readonly kernelId: string;
  /** The image to run (for Kubernetes the full reference in the exec config's registry). */
  readonly image: string;
  readonly codeEnvId?: string;
  /** The user the kernel belongs to, exactly (labels may carry a sanitised form). */
  readonly owner: string;
  readonly gatewayId: string;
  /** The kernelspec's language: python or r (the entrypoint starts ipykernel or IRkernel). */
  readonly language: string;
  /** Exec config env, the code env's, the kernelspec's and the client's KERNEL_* variables, merged in that order. */
  readonly env: Readonly<Record<string, string>>;
  /** Unique per launch (a restart makes a new container or pod). */
  readonly name: string;
}
