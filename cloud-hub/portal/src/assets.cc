// The citizen site's templates (mustache, parsed once and rendered by templates.cc with mstch's
// semantics) and its one style sheet, compiled in: the site never reads a file to serve a page
// (SEC-1). Every {{key}} is HTML-escaped (detail::html_escape: & < > " ' /), also in attributes;
// {{{key}}} and {{&key}} are refused when the templates are parsed. Every URL placed in a
// context is built by the portal from base_path and fixed segments (never from input).
//
// Accessibility (RSV-2, WCAG 2.0 AA / JIS X 8341-3 AA): lang="ja", a skip link, one h1 per page,
// every input has a <label for>, radio groups are fieldsets with a legend, errors are listed at
// the top (role="alert", links to the fields) and shown next to each field (aria-describedby,
// aria-invalid). No JavaScript anywhere.
#include "assets.h"

namespace madoguchi::portal::detail {
namespace {

constexpr std::string_view kLayout = R"(<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{page_title}} | {{service_name}} | {{municipality_name}}</title>
<link rel="stylesheet" href="{{css_url}}">
</head>
<body{{#print}} class="print-page"{{/print}}>
<a class="skip-link" href="#main">本文へ移動</a>
<header class="site-header">
<div class="container">
<p class="site-title"><a href="{{home_url}}"><span class="municipality">{{municipality_name}}</span> <span>{{service_name}}</span></a></p>
</div>
</header>
<main id="main" tabindex="-1">
<div class="container">
{{#step}}<p class="step">手順 {{step}} / {{steps}}</p>{{/step}}
<h1>{{heading}}</h1>
{{> error_summary}}
{{> content}}
</div>
</main>
<footer class="site-footer">
<div class="container">
<ul class="footer-links">
<li><a href="{{home_url}}">トップページ</a></li>
<li><a href="{{help_url}}">使い方（ヘルプ）</a></li>
<li><a href="{{faq_url}}">よくある質問</a></li>
<li><a href="{{lookup_url}}">予約の確認・変更・取消</a></li>
</ul>
{{#contact_phone}}<p>お問い合わせ：{{municipality_name}} 電話 {{contact_phone}}{{#contact_hours}}（{{contact_hours}}）{{/contact_hours}}</p>{{/contact_phone}}
<p>{{municipality_name}} {{service_name}}</p>
</div>
</footer>
</body>
</html>
)";

constexpr std::string_view kErrorSummary = R"({{#has_errors}}
<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 id="error-summary-title">入力内容にエラーがあります（{{error_count}}件）</h2>
<ul>
{{#errors}}
<li><a href="#{{field}}">{{message}}</a></li>
{{/errors}}
</ul>
</div>
{{/has_errors}})";

// One text input: id (= name), label, value, hint, error, type, maxlength, autocomplete,
// inputmode, narrow, required.
constexpr std::string_view kField = R"(<div class="field{{#error}} field--error{{/error}}">
<label for="{{id}}">{{label}}{{#required}} <span class="required">必須</span>{{/required}}{{^required}} <span class="optional">任意</span>{{/required}}</label>
{{#hint}}<p class="hint" id="{{id}}-hint">{{hint}}</p>{{/hint}}
{{#error}}<p class="field-error" id="{{id}}-error"><span class="visually-hidden">エラー：</span>{{error}}</p>{{/error}}
<input class="input{{#narrow}} input--narrow{{/narrow}}" type="{{type}}" id="{{id}}" name="{{id}}" value="{{value}}" maxlength="{{maxlength}}"{{#autocomplete}} autocomplete="{{autocomplete}}"{{/autocomplete}}{{#inputmode}} inputmode="{{inputmode}}"{{/inputmode}}{{#describedby}} aria-describedby="{{describedby}}"{{/describedby}}{{#invalid}} aria-invalid="true"{{/invalid}}{{#required}} aria-required="true"{{/required}}>
</div>
)";

// A radio group: id (the group's name), legend, hint, error, options [oid, value, label, checked].
constexpr std::string_view kRadios = R"(<fieldset class="field{{#error}} field--error{{/error}}"{{#describedby}} aria-describedby="{{describedby}}"{{/describedby}}>
<legend>{{legend}}</legend>
{{#hint}}<p class="hint" id="{{id}}-hint">{{hint}}</p>{{/hint}}
{{#error}}<p class="field-error" id="{{id}}-error"><span class="visually-hidden">エラー：</span>{{error}}</p>{{/error}}
{{#options}}
<div class="choice"><input type="radio" id="{{oid}}" name="{{id}}" value="{{value}}"{{#checked}} checked{{/checked}}{{#error}} aria-invalid="true"{{/error}}><label for="{{oid}}">{{label}}</label></div>
{{/options}}
</fieldset>
)";

constexpr std::string_view kNoticeList = R"({{#maintenance}}
<section class="notice notice--maintenance" aria-labelledby="notice-{{id}}">
<h2 id="notice-{{id}}">{{title}}</h2>
<p class="period"><strong>メンテナンス期間：</strong>{{period}}</p>
<p>この期間は、予約の申込み・確認・変更・取消ができません。</p>
{{#paragraphs}}<p>{{.}}</p>{{/paragraphs}}
</section>
{{/maintenance}}
{{#has_info}}
<section class="notices" aria-labelledby="notices-title">
<h2 id="notices-title">お知らせ</h2>
{{#info}}
<article class="notice" aria-labelledby="notice-{{id}}">
<h3 id="notice-{{id}}">{{title}}</h3>
<p class="notice-date">{{date}}</p>
{{#paragraphs}}<p>{{.}}</p>{{/paragraphs}}
</article>
{{/info}}
</section>
{{/has_info}})";

constexpr std::string_view kTop = R"({{> notices}}
<p>{{municipality_name}}のマイナンバーカードの窓口へ来られる日時を、インターネットで予約できます。24時間いつでも申込みできます。</p>
<p>初めての方は<a href="{{help_url}}">使い方（ヘルプ）</a>と<a href="{{faq_url}}">よくある質問</a>をご覧ください。</p>
<section aria-labelledby="start-title">
<h2 id="start-title">予約する</h2>
<ul class="start-list">
{{#businesses}}
<li class="start-item">
<h3 id="start-{{id}}">{{label}}</h3>
<p>{{description}}</p>
<p><a class="button" href="{{url}}" aria-describedby="start-{{id}}">{{button}}</a></p>
</li>
{{/businesses}}
</ul>
</section>
<section aria-labelledby="lookup-title">
<h2 id="lookup-title">予約の確認・変更・取消</h2>
<p>予約したときにお知らせした受付番号とパスワードで、予約の内容の確認、日時の変更、取消ができます。</p>
<p><a class="button button--secondary" href="{{lookup_url}}">予約を確認する</a></p>
</section>
)";

constexpr std::string_view kHelp = R"({{#sections}}
<section aria-labelledby="help-{{index}}">
<h2 id="help-{{index}}">{{heading}}</h2>
{{#paragraphs}}<p>{{.}}</p>{{/paragraphs}}
</section>
{{/sections}}
<p><a href="{{home_url}}">トップページへ戻る</a></p>
)";

constexpr std::string_view kFaq = R"(<dl class="faq">
{{#entries}}
<dt id="faq-{{index}}">Q. {{question}}</dt>
<dd>{{#paragraphs}}<p>{{.}}</p>{{/paragraphs}}</dd>
{{/entries}}
</dl>
<p><a href="{{home_url}}">トップページへ戻る</a></p>
)";

constexpr std::string_view kPeopleCount = R"(<form method="get" action="{{form_url}}" class="people-count">
<div class="field">
<label for="people">来庁する人数（ご本人を含む）</label>
<p class="hint" id="people-hint">ご家族の分もまとめて予約できます（{{max_people}}人まで）。人数を変えたら「人数を変える」を押してください。</p>
<select id="people" name="people" aria-describedby="people-hint">
{{#people_options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}人</option>{{/people_options}}
</select>
<button type="submit" class="button button--secondary">人数を変える</button>
</div>
</form>
)";

constexpr std::string_view kIdentity = R"(<p>{{intro}}</p>
{{> people_count}}
<form method="post" action="{{form_url}}" novalidate>
<input type="hidden" name="csrf_token" value="{{csrf_token}}">
<input type="hidden" name="people" value="{{people}}">
{{#kind}}{{> radios}}{{/kind}}
{{#persons}}
<fieldset class="person">
<legend>{{legend}}</legend>
{{#person_error}}<p class="field-error" id="person_{{index}}-error"><span class="visually-hidden">エラー：</span>{{person_error}}</p>{{/person_error}}
{{#fields}}{{> field}}{{/fields}}
</fieldset>
{{/persons}}
<div class="actions">
<button type="submit" class="button">次へ進む</button>
</div>
</form>
<p><a href="{{home_url}}">トップページへ戻る</a></p>
)";

constexpr std::string_view kCounter = R"({{#has_counters}}
<form method="post" action="{{form_url}}" novalidate>
<input type="hidden" name="csrf_token" value="{{csrf_token}}">
{{#choice}}{{> radios}}{{/choice}}
<div class="actions">
<button type="submit" class="button">次へ進む</button>
</div>
</form>
{{/has_counters}}
{{^has_counters}}
<p>現在、インターネットで予約できる窓口はありません。{{#contact_phone}}お電話（{{contact_phone}}）でお問い合わせください。{{/contact_phone}}</p>
{{/has_counters}}
<p><a href="{{back_url}}">前の画面へ戻る</a></p>
)";

constexpr std::string_view kSlot = R"(<p>窓口：{{counter_name}}（{{places}}人分）</p>
<p>選べる時間だけにボタンがあります。「満員」「受付終了」の時間は選べません。</p>
<nav class="week-nav" aria-label="表示する週">
<ul>
{{#prev_url}}<li><a href="{{prev_url}}">前の週を表示</a></li>{{/prev_url}}
{{#next_url}}<li><a href="{{next_url}}">次の週を表示</a></li>{{/next_url}}
</ul>
</nav>
<p class="range">{{range}}を表示しています。</p>
<form method="post" action="{{form_url}}" novalidate>
<input type="hidden" name="csrf_token" value="{{csrf_token}}">
<input type="hidden" name="from" value="{{from}}">
{{#error}}<p class="field-error" id="slot-error"><span class="visually-hidden">エラー：</span>{{error}}</p>{{/error}}
{{#days}}
<fieldset class="day" id="day-{{date_id}}">
<legend>{{date_label}}</legend>
{{#has_slots}}
<ul class="slots">
{{#slots}}
<li>{{#bookable}}<input type="radio" id="slot-{{sid}}" name="slot" value="{{key}}"{{#checked}} checked{{/checked}}{{#error}} aria-describedby="slot-error"{{/error}}><label for="slot-{{sid}}">{{time}} <span class="fill">{{fill}}</span></label>{{/bookable}}{{^bookable}}<span class="slot-closed">{{time}} <span class="fill">{{fill}}</span></span>{{/bookable}}</li>
{{/slots}}
</ul>
{{/has_slots}}
{{^has_slots}}<p>予約できる時間はありません。</p>{{/has_slots}}
</fieldset>
{{/days}}
{{#has_any}}
<div class="actions">
<button type="submit" class="button">この時間で次へ進む</button>
</div>
{{/has_any}}
</form>
<p><a href="{{back_url}}">窓口の選択へ戻る</a></p>
)";

constexpr std::string_view kContact = R"(<p>予約の受付番号とパスワードを、入力されたメールアドレスへお送りします。</p>
<form method="post" action="{{form_url}}" novalidate>
<input type="hidden" name="csrf_token" value="{{csrf_token}}">
{{#fields}}{{> field}}{{/fields}}
{{#proxy}}{{> radios}}{{/proxy}}
<div class="actions">
<button type="submit" class="button">入力内容を確認する</button>
</div>
</form>
<p><a href="{{back_url}}">日時の選択へ戻る</a></p>
)";

constexpr std::string_view kSummary = R"(<dl class="summary">
{{#rows}}
<div class="summary-row"><dt>{{label}}</dt><dd>{{value}}</dd></div>
{{/rows}}
</dl>
)";

constexpr std::string_view kConfirm = R"(<p>{{intro}}</p>
{{> summary}}
<form method="post" action="{{form_url}}">
<input type="hidden" name="csrf_token" value="{{csrf_token}}">
<input type="hidden" name="draft" value="{{draft_token}}">
<div class="actions">
<button type="submit" class="button">{{submit_label}}</button>
</div>
</form>
{{#edit_links}}<p><a href="{{url}}">{{label}}</a></p>{{/edit_links}}
)";

constexpr std::string_view kDone = R"(<div class="panel" role="status">
<p>{{lead}}</p>
</div>
<dl class="summary summary--large">
<div class="summary-row"><dt>受付番号</dt><dd class="secret">{{receipt}}</dd></div>
{{#password}}<div class="summary-row"><dt>パスワード</dt><dd class="secret">{{password}}</dd></div>{{/password}}
</dl>
{{#password}}<p><strong>パスワードはこの画面でだけ表示します。</strong>受付番号とパスワードは、予約の確認・変更・取消に使います。控えておいてください。</p>{{/password}}
{{^password}}<p>パスワードはメールでお知らせしています（この画面ではもう表示しません）。</p>{{/password}}
<p>{{mail_note}}</p>
{{> summary}}
<p><a href="{{lookup_url}}">予約の確認・変更・取消</a></p>
<p><a href="{{home_url}}">トップページへ戻る</a></p>
)";

constexpr std::string_view kLookup = R"(<p>予約したときにお知らせした受付番号とパスワードを入力してください。</p>
<form method="post" action="{{form_url}}" novalidate>
<input type="hidden" name="csrf_token" value="{{csrf_token}}">
{{#fields}}{{> field}}{{/fields}}
<div class="actions">
<button type="submit" class="button">予約を表示する</button>
</div>
</form>
<p>パスワードが分からなくなった場合は、{{municipality_name}}{{#contact_phone}}（電話 {{contact_phone}}）{{/contact_phone}}へお問い合わせください。</p>
)";

constexpr std::string_view kDetail = R"({{#flash}}<div class="panel" role="status"><p>{{flash}}</p></div>{{/flash}}
{{> summary}}
<section aria-labelledby="history-title">
<h2 id="history-title">履歴</h2>
<table class="history">
<caption class="visually-hidden">予約の履歴</caption>
<thead><tr><th scope="col">日時</th><th scope="col">内容</th></tr></thead>
<tbody>
{{#history}}<tr><td>{{at}}</td><td>{{action}}{{#note}}（{{note}}）{{/note}}</td></tr>{{/history}}
</tbody>
</table>
</section>
{{^print}}
{{#deadline_passed}}<p class="panel">変更・取消の受付期限を過ぎています。変更・取消は、{{municipality_name}}{{#contact_phone}}（電話 {{contact_phone}}{{#contact_hours}}、{{contact_hours}}{{/contact_hours}}）{{/contact_phone}}へお電話でお申し出ください。</p>{{/deadline_passed}}
<ul class="action-list">
<li><a class="button button--secondary" href="{{print_url}}">印刷用の画面を表示する</a></li>
{{#may_change}}<li><a class="button button--secondary" href="{{change_url}}">日時を変更する</a></li>
<li><a class="button button--secondary" href="{{cancel_url}}">予約を取り消す</a></li>{{/may_change}}
</ul>
<form method="post" action="{{sign_out_url}}">
<input type="hidden" name="csrf_token" value="{{csrf_token}}">
<button type="submit" class="button button--secondary">表示を終わる</button>
</form>
{{/print}}
{{#print}}<p class="no-print">ブラウザの印刷機能で印刷してください。 <a href="{{detail_url}}">予約内容の画面へ戻る</a></p>{{/print}}
)";

constexpr std::string_view kMessage = R"({{#paragraphs}}<p>{{.}}</p>{{/paragraphs}}
{{#next_url}}<p><a href="{{next_url}}">{{next_label}}</a></p>{{/next_url}}
)";

constexpr EmbeddedTemplate kTemplates[] = {
    {"layout", kLayout},   {"error_summary", kErrorSummary}, {"field", kField},   {"radios", kRadios},
    {"notices", kNoticeList}, {"people_count", kPeopleCount}, {"summary", kSummary}, {"top", kTop},
    {"help", kHelp},       {"faq", kFaq},       {"identity", kIdentity}, {"counter", kCounter},
    {"slot", kSlot},       {"contact", kContact}, {"confirm", kConfirm}, {"done", kDone},
    {"lookup", kLookup},   {"detail", kDetail}, {"message", kMessage},
};

}  // namespace

std::span<const EmbeddedTemplate> templates() { return kTemplates; }

}  // namespace madoguchi::portal::detail
