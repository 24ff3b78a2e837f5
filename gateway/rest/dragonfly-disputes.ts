// Dragonfly dispute and payout routes over billing's GraphQL: buyers' disputes (/api/billing/disputes),
// sellers' side of them (/v1/market/disputes), payouts (/v1/market/payouts) and conversions of
// earnings into buyer credit (/v1/market/earnings/convert, /withdrawable). A thin adapter: who may
// act (buyer scope for a buyer's disputes, seller scope for the seller side and payouts), the
// dispute window, the resolution rule, payout limits and every amount rule live in billing; this
// file translates bodies and query strings into the operations' variables and answers into
// Dragonfly's JSON (bare objects on success, `{error: {code, message, details?}}` on failure).
//
// Conventions, as in dragonfly-money.ts: each amount is `<name>` (a JSON number of USD, exact to
// the micro-dollar) and `<name>Micros` (the exact integer); enum values are lowercase (status open |
// resolved_buyer | resolved_seller; resolution auto | seller_accepted | window_expired | contested;
// payout status pending | completed | failed); bodies refuse unknown fields; amounts in bodies are
// USD as a JSON number or a decimal string.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  DisputeAcceptDocument,
  DisputeContestDocument,
  DisputeGetDocument,
  DisputeListDocument,
  DisputeOpenDocument,
  DisputeSellerListDocument,
  PayoutConvertEarningsDocument,
  PayoutListDocument,
  PayoutRequestDocument,
  PayoutWithdrawableDocument,
  type DisputeFieldsFragment,
  type DisputeStatus,
  type PayoutFieldsFragment,
} from '../../schema/generated/graphql';
import * as oa from './openapi-schemas';
import type { GatewayApi } from '../gateway-api';
import { asObject, queryInt } from './common';
import {
  DragonflyFailure,
  dragonflyBadRequest,
  dragonflyFailureFrom,
  dragonflyMoney,
  dragonflyRoute,
  prepareDragonflyScope,
} from './dragonfly-route';

const badRequest = dragonflyBadRequest;

const failureFrom = dragonflyFailureFrom;

// ---- Outgoing shapes ------------------------------------------------------------------------

const money = dragonflyMoney;

function toDispute(dispute: DisputeFieldsFragment) {
  return {
    id: dispute.id,
    requestId: dispute.requestId,
    listingId: dispute.listingId,
    model: dispute.model,
    ...money('charged', dispute.charged),
    reason: dispute.reason,
    status: dispute.status.toLowerCase(),
    resolution: dispute.resolution ? dispute.resolution.toLowerCase() : null,
    evidence: dispute.evidence,
    sellerResponse: dispute.sellerResponse,
    openedAt: dispute.openedAt,
    respondBy: dispute.respondBy,
    contestedAt: dispute.contestedAt,
    resolvedAt: dispute.resolvedAt,
    ...money('refund', dispute.refund),
  };
}

function toPayout(payout: PayoutFieldsFragment) {
  return {
    id: payout.id,
    ...money('amount', payout.amount),
    status: payout.status.toLowerCase(),
    provider: payout.provider,
    providerReference: payout.providerReference,
    requestedAt: payout.requestedAt,
    completedAt: payout.completedAt,
  };
}

// ---- Incoming shapes ------------------------------------------------------------------------

/** A JSON object body with only `allowed` fields (absent body: {} when `optional`). */
function body(request: FastifyRequest, allowed: string[], optional = false): Record<string, unknown> {
  if (optional && (request.body === undefined || request.body === null)) return {};
  const object = asObject(request.body);
  if (!object) throw new DragonflyFailure({ status: 400, code: 'BAD_REQUEST', message: 'Body must be a JSON object' });
  const unknown = Object.keys(object).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    throw new DragonflyFailure({
      status: 400,
      code: 'BAD_USER_INPUT',
      message: `Unknown field: ${unknown[0].slice(0, 60)}; allowed: ${allowed.join(', ') || 'none'}`,
      details: { unknownFields: unknown.slice(0, 20).map((name) => name.slice(0, 60)) },
    });
  }
  return object;
}

function text(fields: Record<string, unknown>, name: string, what: string): string {
  const value = fields[name];
  if (value === undefined || value === null) throw badRequest(`${name} is required: ${what}`, name);
  if (typeof value !== 'string') throw badRequest(`${name} must be a string: ${what}`, name);
  return value;
}

/** `{amount}`: a JSON number or a decimal string of USD (billing judges the value). */
function amount(request: FastifyRequest): string {
  const { amount } = body(request, ['amount']);
  if (amount === undefined || amount === null) throw badRequest('amount is required: USD as a JSON number or a decimal string', 'amount');
  if (typeof amount === 'number' && Number.isFinite(amount)) return String(amount);
  if (typeof amount === 'string') return amount;
  throw badRequest('amount must be USD as a JSON number or a decimal string', 'amount');
}

function pageQuery(request: FastifyRequest): { page: number; pageSize: number } {
  const page = queryInt(request, 'page', 1);
  const pageSize = queryInt(request, 'pageSize', 20);
  if (page === null) throw badRequest('page must be an integer', 'page');
  if (pageSize === null) throw badRequest('pageSize must be an integer', 'pageSize');
  return { page, pageSize };
}

const STATUSES: Record<string, DisputeStatus> = { open: 'OPEN', resolved_buyer: 'RESOLVED_BUYER', resolved_seller: 'RESOLVED_SELLER' };

function statusQuery(request: FastifyRequest): DisputeStatus | undefined {
  const value = (request.query as Record<string, unknown>).status;
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !STATUSES[value]) throw badRequest('status must be open, resolved_buyer or resolved_seller', 'status');
  return STATUSES[value];
}

const idParam = (request: FastifyRequest) => (request.params as { id: string }).id;

// ---- Documentation (GET /openapi.json) ------------------------------------------------------

const documented = oa.surfaceOperations('Dragonfly', 'DragonflyError', ['dashboardSession', 'managementKey']);
const disputeShape = oa.object({
  id: oa.str(),
  requestId: oa.str(),
  listingId: oa.str(),
  model: oa.str(),
  ...oa.money('charged', 'Charged'),
  reason: oa.str(),
  status: oa.enumOf(['open', 'resolved_buyer', 'resolved_seller']),
  resolution: oa.nullable(oa.enumOf(['auto', 'seller_accepted', 'window_expired', 'contested'])),
  evidence: oa.nullable(oa.object({})),
  sellerResponse: oa.nullable(oa.str()),
  openedAt: oa.dateTime(),
  respondBy: oa.dateTime(),
  contestedAt: oa.nullable(oa.dateTime()),
  resolvedAt: oa.nullable(oa.dateTime()),
  ...oa.money('refund', 'Refund', true),
});
const payoutShape = oa.object({
  id: oa.str(),
  ...oa.money('amount', 'Amount'),
  status: oa.enumOf(['pending', 'completed', 'failed']),
  provider: oa.str(),
  providerReference: oa.nullable(oa.str()),
  requestedAt: oa.dateTime(),
  completedAt: oa.nullable(oa.dateTime()),
});
const disputeId = oa.idParam('The dispute id');
const amountBody = oa.strictBody({ amount: oa.usdInput('Amount') }, ['amount']);

// ---- Routes -----------------------------------------------------------------------------------

type Runner = <TResult, TVariables>(document: TypedDocumentNode<TResult, TVariables>, variables: TVariables) => Promise<TResult>;
type RouteContext = { request: FastifyRequest; run: Runner };

export async function dragonflyDisputeRoutes(app: FastifyInstance, gateway: GatewayApi): Promise<void> {
  prepareDragonflyScope(app);
  const route = dragonflyRoute<RouteContext>(gateway, (request, principal) => ({
    request,
    run: async (document, variables) => {
      const result = await gateway.run(document, variables, principal, String(request.id));
      if (result.errors?.length || !result.data) throw failureFrom(result.errors ?? []);
      return result.data;
    },
  }));

  // ---- Buyer: disputes (billing refuses seller-scoped management keys) ----

  app.post(
    '/api/billing/disputes',
    {
      schema: documented({
        operationId: 'dragonflyOpenDispute',
        summary: 'Dispute a charge',
        body: oa.strictBody({ requestId: oa.str('The disputed request (x-request-id)'), reason: oa.str('Why the charge is disputed') }, [
          'requestId',
          'reason',
        ]),
        status: 201,
        ok: disputeShape,
      }),
    },
    route(201, async ({ request, run }) => {
      const fields = body(request, ['requestId', 'reason']);
      const requestId = text(fields, 'requestId', 'the id of the disputed request (x-request-id)');
      const reason = text(fields, 'reason', 'why the charge is disputed');
      return toDispute((await run(DisputeOpenDocument, { requestId, reason })).openDispute);
    }),
  );

  app.get(
    '/api/billing/disputes',
    {
      schema: documented({
        operationId: 'dragonflyListDisputes',
        summary: "The buyer's disputes",
        query: oa.pageQuery(),
        ok: oa.page('disputes', disputeShape),
      }),
    },
    route(200, async ({ request, run }) => {
      const { items, total, page, pageSize } = (await run(DisputeListDocument, pageQuery(request))).disputes;
      return { disputes: items.map(toDispute), total, page, pageSize };
    }),
  );

  app.get(
    '/api/billing/disputes/:id',
    {
      schema: documented({
        operationId: 'dragonflyGetDispute',
        summary: 'One dispute',
        params: disputeId,
        ok: disputeShape,
      }),
    },
    route(200, async ({ request, run }) => toDispute((await run(DisputeGetDocument, { id: idParam(request) })).dispute)),
  );

  // ---- Seller: disputes against its listings, payouts, conversions (billing refuses buyer-scoped keys) ----

  app.get(
    '/v1/market/disputes',
    {
      schema: documented({
        operationId: 'dragonflySellerDisputes',
        summary: "Disputes against the seller's listings",
        query: { ...oa.pageQuery(), status: oa.enumOf(['open', 'resolved_buyer', 'resolved_seller'], 'Only this status') },
        ok: oa.page('disputes', disputeShape),
      }),
    },
    route(200, async ({ request, run }) => {
      const { items, total, page, pageSize } = (
        await run(DisputeSellerListDocument, { ...pageQuery(request), status: statusQuery(request) })
      ).sellerDisputes;
      return { disputes: items.map(toDispute), total, page, pageSize };
    }),
  );

  app.post(
    '/v1/market/disputes/:id/accept',
    {
      schema: documented({
        operationId: 'dragonflyAcceptDispute',
        summary: 'Accept a dispute (refund the buyer)',
        params: disputeId,
        ok: disputeShape,
      }),
    },
    route(200, async ({ request, run }) => {
      body(request, [], true);
      return toDispute((await run(DisputeAcceptDocument, { id: idParam(request) })).acceptDispute);
    }),
  );

  app.post(
    '/v1/market/disputes/:id/contest',
    {
      schema: documented({
        operationId: 'dragonflyContestDispute',
        summary: 'Contest a dispute',
        params: disputeId,
        body: oa.strictBody({ reason: oa.str('Why the seller contests it') }, ['reason']),
        ok: disputeShape,
      }),
    },
    route(200, async ({ request, run }) => {
      const reason = text(body(request, ['reason']), 'reason', 'why the seller contests the dispute');
      return toDispute((await run(DisputeContestDocument, { id: idParam(request), reason })).contestDispute);
    }),
  );

  app.post(
    '/v1/market/payouts',
    {
      schema: documented({
        operationId: 'dragonflyRequestPayout',
        summary: 'Request a payout of withdrawable earnings',
        body: amountBody,
        status: 201,
        ok: payoutShape,
      }),
    },
    route(201, async ({ request, run }) => toPayout((await run(PayoutRequestDocument, { amount: amount(request) })).requestPayout)),
  );

  app.get(
    '/v1/market/payouts',
    {
      schema: documented({
        operationId: 'dragonflyListPayouts',
        summary: "The seller's payouts",
        query: oa.pageQuery(),
        ok: oa.page('payouts', payoutShape),
      }),
    },
    route(200, async ({ request, run }) => {
      const { items, total, page, pageSize } = (await run(PayoutListDocument, pageQuery(request))).payouts;
      return { payouts: items.map(toPayout), total, page, pageSize };
    }),
  );

  app.post(
    '/v1/market/earnings/convert',
    {
      schema: documented({
        operationId: 'dragonflyConvertEarnings',
        summary: 'Convert earnings into buyer credit',
        body: amountBody,
        status: 201,
        ok: oa.object({
          id: oa.str(),
          ...oa.money('amount', 'Converted'),
          ...oa.money('promoCredit', 'Of it, promo credit'),
          ...oa.money('balance', 'New buyer balance'),
          convertedAt: oa.dateTime(),
        }),
      }),
    },
    route(201, async ({ request, run }) => {
      const conversion = (await run(PayoutConvertEarningsDocument, { amount: amount(request) })).convertEarnings;
      return {
        id: conversion.id,
        ...money('amount', conversion.amount),
        ...money('promoCredit', conversion.promoCredit),
        ...money('balance', conversion.balance),
        convertedAt: conversion.convertedAt,
      };
    }),
  );

  // What can leave the earnings: `withdrawable` (payable now) = available − `creditOnly` (earned
  // from free credit: convertible into promo credit only), with what was paid out and converted.
  app.get(
    '/v1/market/earnings/withdrawable',
    {
      schema: documented({
        operationId: 'dragonflyWithdrawable',
        summary: 'What the earnings can pay out now',
        ok: oa.object({
          ...oa.money('available', 'Available'),
          ...oa.money('withdrawable', 'Payable now'),
          ...oa.money('creditOnly', 'Convertible only (earned from free credit)'),
          ...oa.money('payoutPending', 'In pending payouts'),
          ...oa.money('paidOut', 'Paid out'),
          ...oa.money('converted', 'Converted'),
        }),
      }),
    },
    route(200, async ({ run }) => {
      const s = (await run(PayoutWithdrawableDocument, {})).earningsSummary;
      return {
        ...money('available', s.available),
        ...money('withdrawable', s.withdrawable),
        ...money('creditOnly', s.creditOnly),
        ...money('payoutPending', s.payoutPending),
        ...money('paidOut', s.paidOut),
        ...money('converted', s.converted),
      };
    }),
  );
}
