/** @jsxRuntime automatic */
/** @jsxImportSource @kitajs/html */
// The API-key login form: exchanges the key for a signed, HttpOnly session cookie.
import type { ViewContext } from '../core/dashboard/view-context.ts';
import { Layout } from './layout.tsx';
import { visibleText } from '../core/invisible-text.ts';
import { attributeValue } from './format.ts';

export function LoginPage(props: { ctx: ViewContext; error?: string; next?: string; basic?: boolean }): JSX.Element {
  const { ctx } = props;
  return (
    <Layout ctx={{ ...ctx, apps: [] }} subtitle="Sign in" signIn>
      <section class="panel login" aria-label="Sign in">
        <h2>Sign in</h2>
        {props.error ? (
          <p class="error" id="sign-in-error" role="alert" safe>
            {visibleText(props.error)}
          </p>
        ) : (
          ''
        )}
        <form method="post" action={`${ctx.base}/login`}>
          <input type="hidden" name="csrf" value={ctx.csrf} />
          <input type="hidden" name="next" value={attributeValue(props.next ?? ctx.base)} />
          <label>
            {/* After a refusal the field is focused, marked invalid and described by the error, which a
                screen reader then reads (an alert already in a loaded page is not announced: a review). */}
            API key{' '}
            {props.error ? (
              <input type="password" name="apiKey" autocomplete="current-password" required autofocus aria-invalid="true" aria-describedby="sign-in-error" />
            ) : (
              <input type="password" name="apiKey" autocomplete="current-password" required />
            )}
          </label>
          <button type="submit">Sign in</button>
        </form>
        {props.basic ? (
          <p>
            Or <a href={`${ctx.base}/login/basic${basicNext(ctx.base, props.next)}`}>sign in with a username and password</a>.
          </p>
        ) : (
          ''
        )}
      </section>
    </Layout>
  );
}

/** The basic sign-in goes on to the same page as the form (after a session ended: the page it was on). */
function basicNext(base: string, next: string | undefined): string {
  return next && next !== base ? `?next=${encodeURIComponent(next)}` : '';
}
