import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { CommandIds, LlmChatRequest, LlmCredentialsNotification } from '../../server/src/protocol';
import type { SmokeLanguageClient } from './languageClient';

/**
 * The LLM planner's editor side: the API key in VS Code's secret store (command "Set LLM API
 * Key", sent to the server when it starts and whenever the stored key changes), and answers to the
 * server's `smokeRepair/llmChat` requests through the VS Code Language Model API (`vscode.lm`, from
 * VS Code 1.90, checked at run time).
 */

/** The secret store's key for the LLM API key. */
export const LLM_API_KEY_SECRET = 'smokeRepair.llmApiKey';

/** Shown by the editor when it asks the user to let Smoke Repair use a language model. */
const JUSTIFICATION = 'Smoke Repair asks a language model for a fix plan for a smoke-test failure that no rule covers.';

/** LSP's "request failed" and "request cancelled" error codes. */
const REQUEST_FAILED = -32803;
const REQUEST_CANCELLED = -32800;

export function registerLlm(context: vscode.ExtensionContext, client: SmokeLanguageClient): vscode.Disposable[] {
  const sendCredentials = async (): Promise<void> => {
    const lc = client.current;
    if (!lc) return;
    const apiKey = (await context.secrets.get(LLM_API_KEY_SECRET)) || undefined;
    const params: LlmCredentialsNotification.Params = apiKey ? { apiKey } : {};
    try {
      await lc.sendNotification(LlmCredentialsNotification.method, params);
    } catch (err) {
      client.output.warn(`Could not send the LLM API key to the server: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  client.onClient((lc) => lc.onRequest(LlmChatRequest.method, (params: unknown, token: vscode.CancellationToken) => answerChat(params, token)));

  return [
    client.onDidChangeReady((ready) => void (ready && sendCredentials())),
    context.secrets.onDidChange((e) => void (e.key === LLM_API_KEY_SECRET && sendCredentials())),
    vscode.commands.registerCommand(CommandIds.setLlmApiKey, async () => {
      const answer = await vscode.window.showInputBox({
        title: 'Smoke Repair: LLM API Key',
        prompt: 'The API key of the OpenAI-compatible endpoint in smoke-repair.yaml (llm.baseUrl). Leave empty to delete the stored key.',
        password: true,
        ignoreFocusOut: true,
      });
      if (answer === undefined) return; // dismissed: nothing changes
      const key = answer.trim();
      if (key) {
        await context.secrets.store(LLM_API_KEY_SECRET, key);
        void vscode.window.showInformationMessage('Smoke Repair: the LLM API key is stored in the editor\'s secret storage.');
      } else {
        await context.secrets.delete(LLM_API_KEY_SECRET);
        void vscode.window.showInformationMessage('Smoke Repair: the stored LLM API key was deleted.');
      }
    }),
  ];
}

function failure(message: string, data: LlmChatRequest.ErrorData): ResponseError<LlmChatRequest.ErrorData> {
  return new ResponseError(data.kind === 'cancelled' ? REQUEST_CANCELLED : REQUEST_FAILED, message, data);
}

/** `LanguageModelError.code` → the protocol's error kind. */
function kindOf(code: string): LlmChatRequest.ErrorData['kind'] {
  if (code === vscode.LanguageModelError.NoPermissions.name) return 'noPermissions';
  if (code === vscode.LanguageModelError.Blocked.name) return 'blocked';
  if (code === vscode.LanguageModelError.NotFound.name) return 'notFound';
  return 'failed';
}

/** One chat turn with the editor's language model, for the server's `vscode-lm` provider. */
async function answerChat(raw: unknown, token: vscode.CancellationToken): Promise<LlmChatRequest.Result> {
  const parsed = LlmChatRequest.paramsSchema.safeParse(raw);
  if (!parsed.success) throw failure(`invalid ${LlmChatRequest.method} parameters: ${parsed.error.issues[0]?.message}`, { kind: 'failed' });
  const params = parsed.data;
  const lm = (vscode as { lm?: typeof vscode.lm }).lm;
  if (typeof lm?.selectChatModels !== 'function') {
    throw failure('this editor has no language model API (VS Code 1.90 or later has it)', { kind: 'unavailable' });
  }
  const selector: vscode.LanguageModelChatSelector = {
    ...(params.vendor ? { vendor: params.vendor } : {}),
    ...(params.family ? { family: params.family } : {}),
  };
  const [model] = await lm.selectChatModels(selector);
  if (!model) throw failure(`no language model matches ${JSON.stringify(selector)}`, { kind: 'unavailable' });

  // The API has no system role: the system text goes first, as a user message.
  const system = params.messages.filter((m) => m.role === 'system');
  const rest = params.messages.filter((m) => m.role !== 'system');
  const messages = [...system, ...rest].map((m) =>
    m.role === 'assistant' ? vscode.LanguageModelChatMessage.Assistant(m.content) : vscode.LanguageModelChatMessage.User(m.content),
  );
  try {
    const response = await model.sendRequest(messages, { justification: JUSTIFICATION, modelOptions: { temperature: params.temperature } }, token);
    let text = '';
    for await (const fragment of response.text) text += fragment;
    return { text };
  } catch (err) {
    if (token.isCancellationRequested || err instanceof vscode.CancellationError) throw failure('the request was cancelled', { kind: 'cancelled' });
    if (err instanceof vscode.LanguageModelError) throw failure(err.message, { kind: kindOf(err.code), detail: err.code });
    throw failure(err instanceof Error ? err.message : String(err), { kind: 'failed' });
  }
}
