import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Project } from '../entities/Project';
import { CreateProjectInput } from '../types/projects';
import type { AccountsContext } from '../context';

@Resolver(() => Project)
export class ProjectResolver {
  @Query(() => [Project], { description: "The caller's projects, the default first." })
  projects(@Ctx() ctx: AccountsContext): Promise<Project[]> {
    return ctx.accounts.listProjects(ctx.principal);
  }

  @Mutation(() => Project)
  createProject(@Arg('input', () => CreateProjectInput) input: CreateProjectInput, @Ctx() ctx: AccountsContext): Promise<Project> {
    return ctx.accounts.createProject(ctx.principal, input);
  }

  @FieldResolver(() => Int, { description: 'Keys in the project, revoked ones included.' })
  apiKeyCount(@Root() project: Project, @Ctx() ctx: AccountsContext): Promise<number> {
    return ctx.loaders.apiKeyCountByProject.load(project.id);
  }
}
