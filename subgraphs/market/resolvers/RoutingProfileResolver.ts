import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Money } from '../../common/graphql-types';
import { RoutingProfile } from '../entities/RoutingProfile';
import { CreateRoutingProfileInput, UpdateRoutingProfileInput } from '../types/routing-profiles';
import type { MarketContext } from '../context';

@Resolver(() => RoutingProfile)
export class RoutingProfileResolver {
  @Query(() => [RoutingProfile], { description: 'Your routing profiles, oldest first (buyer side).' })
  routingProfiles(@Ctx() ctx: MarketContext): Promise<RoutingProfile[]> {
    return ctx.routingProfiles.list(ctx.principal);
  }

  @Query(() => RoutingProfile, { description: 'One of your routing profiles.' })
  routingProfile(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<RoutingProfile> {
    return ctx.routingProfiles.get(ctx.principal, id);
  }

  @Mutation(() => RoutingProfile, { description: 'Create a routing profile; bind it to buyer keys with their routingProfileId.' })
  createRoutingProfile(
    @Arg('input', () => CreateRoutingProfileInput) input: CreateRoutingProfileInput,
    @Ctx() ctx: MarketContext,
  ): Promise<RoutingProfile> {
    return ctx.routingProfiles.create(ctx.principal, input);
  }

  @Mutation(() => RoutingProfile, { description: 'Change a profile: absent fields stay, null resets to the default.' })
  updateRoutingProfile(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateRoutingProfileInput) input: UpdateRoutingProfileInput,
    @Ctx() ctx: MarketContext,
  ): Promise<RoutingProfile> {
    return ctx.routingProfiles.update(ctx.principal, id, input);
  }

  @Mutation(() => RoutingProfile, { description: 'Delete a profile; keys still naming it route by default.' })
  deleteRoutingProfile(@Arg('id', () => ID) id: string, @Ctx() ctx: MarketContext): Promise<RoutingProfile> {
    return ctx.routingProfiles.delete(ctx.principal, id);
  }

  @FieldResolver(() => [String], { description: 'Never supply matching these entries (seller handles, seller ids or listing ids).' })
  denySupply(@Root() profile: RoutingProfile): string[] {
    return profile.denySupply ?? [];
  }

  @FieldResolver(() => [String], {
    description: 'Supply matching these entries tried first, in this order (before providerOrder; healthy supply still before degraded).',
  })
  supplyOrder(@Root() profile: RoutingProfile): string[] {
    return profile.supplyOrder ?? [];
  }

  @FieldResolver(() => Money, { nullable: true, description: 'Ceiling on USD per million input tokens.' })
  maxInputPricePerMTok(@Root() profile: RoutingProfile): Money | null {
    return profile.maxInputPriceMicrosPerMTok == null ? null : Money.of(Number(profile.maxInputPriceMicrosPerMTok));
  }

  @FieldResolver(() => Money, { nullable: true, description: 'Ceiling on USD per million output tokens.' })
  maxOutputPricePerMTok(@Root() profile: RoutingProfile): Money | null {
    return profile.maxOutputPriceMicrosPerMTok == null ? null : Money.of(Number(profile.maxOutputPriceMicrosPerMTok));
  }
}
