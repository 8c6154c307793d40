import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { hashPassword, verifyPassword } from "../../db/auth/passwords";
import { findUserByEmail, normaliseEmail } from "../../db/queries/users";
import { loginThrottle } from "../auth/login-throttle.server";
import { assertSameOrigin, getUser, logIn, safeRedirectPath } from "../auth/session.server";
import { Field } from "../components/field";
import { getStore } from "../store.server";

export const meta: MetaFunction = () => [{ title: "Provtopia" }];

/** Error values are translation keys, so the message is shown in the reader's language. */
const LoginForm = z.object({
  email: z
    .string({ required_error: "login.errors.emailRequired" })
    .trim()
    .min(1, "login.errors.emailRequired")
    .email("login.errors.emailInvalid"),
  password: z
    .string({ required_error: "login.errors.passwordRequired" })
    .min(1, "login.errors.passwordRequired"),
  redirectTo: z.string().optional(),
});

type FieldErrors = Partial<Record<"email" | "password" | "form", string>>;
interface ActionResult {
  errors: FieldErrors;
  values: { email: string };
  minutes?: number;
}

/** A hash to verify against when the email is unknown, so timing does not reveal accounts. */
let decoyHash: Promise<string> | undefined;

/** Where a fresh session lands: a subject on their page; staff have no subject page. */
function landingPage(role: "subject" | "dpo"): string {
  return role === "subject" ? "/me" : "/";
}

export async function loader({ request }: LoaderFunctionArgs) {
  const auth = await getUser(request);
  if (auth) {
    const redirectTo = new URL(request.url).searchParams.get("redirectTo");
    throw redirect(safeRedirectPath(redirectTo, landingPage(auth.user.role)));
  }
  return null;
}

export async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const form = Object.fromEntries(await request.formData());
  const parsed = LoginForm.safeParse(form);
  const email = typeof form.email === "string" ? form.email : "";
  if (!parsed.success) {
    const errors: FieldErrors = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0];
      if ((field === "email" || field === "password") && !errors[field])
        errors[field] = issue.message;
    }
    return data<ActionResult>({ errors, values: { email } }, { status: 400 });
  }
  const key = normaliseEmail(parsed.data.email);
  const waitMs = loginThrottle.retryAfterMs(key);
  if (waitMs > 0) {
    return data<ActionResult>(
      {
        errors: { form: "login.errors.tooManyAttempts" },
        values: { email },
        minutes: Math.ceil(waitMs / 60_000),
      },
      { status: 429 },
    );
  }
  const user = await findUserByEmail(await getStore(), key);
  let valid = false;
  if (user) {
    valid = await verifyPassword(user.passwordHash, parsed.data.password);
  } else {
    // The same argon2 work for an unknown address, so timing does not reveal who has an account.
    decoyHash ??= hashPassword("not-a-password-of-anyone");
    await verifyPassword(await decoyHash, parsed.data.password);
  }
  if (!user || !valid) {
    loginThrottle.recordFailure(key);
    return data<ActionResult>(
      { errors: { form: "login.errors.wrongCredentials" }, values: { email } },
      { status: 401 },
    );
  }
  loginThrottle.reset(key);
  const cookie = await logIn(request, user.id);
  return redirect(safeRedirectPath(parsed.data.redirectTo, landingPage(user.role)), {
    headers: { "Set-Cookie": cookie },
  });
}

export default function Login() {
  const { t } = useTranslation();
  const result = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const navigation = useNavigation();
  const errors = result?.errors ?? {};
  const hasErrors = Object.keys(errors).length > 0;
  const summary = useRef<HTMLDivElement>(null);
  // After a failed submit, take the reader (and their screen reader) to what went wrong.
  useEffect(() => {
    if (result) summary.current?.focus();
  }, [result]);
  return (
    <section className="page narrow">
      <h1>{t("login.title")}</h1>
      {hasErrors ? (
        <div
          ref={summary}
          tabIndex={-1}
          className="error-summary"
          role="alert"
          aria-labelledby="error-summary-title"
        >
          <h2 id="error-summary-title">{t("login.errorSummary")}</h2>
          <ul>
            {errors.form ? <li>{t(errors.form, { minutes: result?.minutes })}</li> : null}
            {errors.email ? (
              <li>
                <a href="#email">{t(errors.email)}</a>
              </li>
            ) : null}
            {errors.password ? (
              <li>
                <a href="#password">{t(errors.password)}</a>
              </li>
            ) : null}
          </ul>
        </div>
      ) : null}
      <Form method="post" noValidate className="stack">
        <input type="hidden" name="redirectTo" value={searchParams.get("redirectTo") ?? ""} />
        <Field
          name="email"
          type="email"
          autoComplete="username"
          label={t("login.email")}
          error={errors.email ? t(errors.email) : undefined}
          defaultValue={result?.values.email}
        />
        <Field
          name="password"
          type="password"
          autoComplete="current-password"
          label={t("login.password")}
          error={errors.password ? t(errors.password) : undefined}
        />
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          {t("login.submit")}
        </button>
      </Form>
      <p className="hint">{t("login.demoHint")}</p>
    </section>
  );
}
