import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ISessionContextDialogs, SessionContextDialogs, showDialog, type ISessionContext } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { executionChoices, pairByKernelName } from '../model/kernelspec-choices';
import { KernelChoiceBody } from '../widgets/kernel-choice-body';

/**
 * JupyterLab's "Select Kernel" dialog, Berth style. JupyterLab 4.5 has no extension point inside
 * its kernel dialog, so this plugin provides ISessionContextDialogs itself (a plugin registered
 * later overrides a service, and prebuilt extensions register after the core): where the
 * kernelspecs have Berth pairs, "Select Kernel" (the kernel name in the toolbar, Kernel → Change
 * Kernel…, the dialog of a notebook without a kernel) shows the code env and exec config lists,
 * with the other kernelspecs below; everything else (restart, or no pairs at all) is
 * JupyterLab's own SessionContextDialogs. Disable this plugin to get the stock dialog back.
 */
class BerthSessionDialogs implements ISessionContext.IDialogs {
  constructor(private readonly stock: SessionContextDialogs) {}

  async selectKernel(context: ISessionContext): Promise<void> {
    const specs = context.specsManager.specs;
    const choices = executionChoices(specs);
    if (context.isDisposed || !specs || choices.pairs.length === 0) return this.stock.selectKernel(context);
    const current = pairByKernelName(choices, context.session?.kernel?.name);
    const body = new KernelChoiceBody(choices, specs, current ? { codeEnv: current.codeEnv, execConfig: current.execConfig } : {});
    const result = await showDialog({
      title: 'Select Kernel',
      body,
      buttons: [
        Dialog.cancelButton({ label: context.hasNoKernel ? context.kernelDisplayName : 'Cancel' }),
        Dialog.createButton({ label: 'More Kernels…', displayType: 'default', accept: false, actions: ['berth-more'] }),
        Dialog.okButton({ label: 'Select', ariaLabel: 'Select Kernel' }),
      ],
    });
    if (context.isDisposed) return;
    if (result.button.actions.includes('berth-more')) return this.stock.selectKernel(context);
    if (!result.button.accept || !result.value) return;
    const choice = result.value;
    if (choice.kind === 'other') return this.stock.selectKernel(context);
    if (choice.kind === 'none') {
      if (!context.hasNoKernel) await context.shutdown();
      return;
    }
    // The execution picker (if any) sees the kernel change and records the pair in the notebook.
    await context.changeKernel({ name: choice.name });
  }

  restart(context: ISessionContext, options?: ISessionContext.IRestartOptions): Promise<boolean> {
    return this.stock.restart(context, options);
  }
}

export const kernelDialogPlugin: JupyterFrontEndPlugin<ISessionContext.IDialogs> = {
  id: 'berth-labextension:kernel-dialog',
  description: "JupyterLab's Select Kernel dialog with Berth's code env and exec config lists.",
  autoStart: true,
  provides: ISessionContextDialogs,
  optional: [ITranslator, ISettingRegistry],
  activate: (_app: JupyterFrontEnd, translator: ITranslator | null, settingRegistry: ISettingRegistry | null) =>
    new BerthSessionDialogs(
      new SessionContextDialogs({ translator: translator ?? nullTranslator, settingRegistry: settingRegistry ?? null }),
    ),
};
