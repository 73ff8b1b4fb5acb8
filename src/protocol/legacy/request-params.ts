import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  CancelTaskRequestSchema,
  ErrorCode,
  GetTaskPayloadRequestSchema,
  GetTaskRequestSchema,
  InitializeRequestSchema,
  isJSONRPCRequest,
  ListTasksRequestSchema,
  ListToolsRequestSchema,
  PingRequestSchema,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { explainInvalid } from '../../kernel/invalid-arguments.js';

/** The requests this server answers, with the schema the SDK checks each against. */
const requestSchemas: Record<string, z.ZodType> = {
  initialize: InitializeRequestSchema,
  ping: PingRequestSchema,
  'tools/list': ListToolsRequestSchema,
  'tools/call': CallToolRequestSchema,
  'tasks/get': GetTaskRequestSchema,
  'tasks/result': GetTaskPayloadRequestSchema,
  'tasks/list': ListTasksRequestSchema,
  'tasks/cancel': CancelTaskRequestSchema,
};

/**
 * Answers a request whose params do not fit its method with -32602 and words. Left to the SDK, the
 * check fails inside its handler wrapper, which answers -32603 with zod's raw JSON dump of issues.
 * Installed once the server is connected, in front of the handler the SDK set on the transport.
 */
export function refuseInvalidParams(transport: Transport): void {
  const deliver = transport.onmessage;
  if (!deliver) return;
  transport.onmessage = (message: JSONRPCMessage, extra) => {
    if (isJSONRPCRequest(message)) {
      const checked = requestSchemas[message.method]?.safeParse(message);
      if (checked && !checked.success) {
        const text = `Invalid params for ${message.method}: ${explainInvalid(checked.error)}.`;
        transport.send({ jsonrpc: '2.0', id: message.id, error: { code: ErrorCode.InvalidParams, message: text } }).catch(() => {});
        return;
      }
    }
    deliver(message, extra);
  };
}
