// The derivation of provider attribute names from @cdktf/provider-google's generated code,
// tried on a miniature of that code, and the committed list it produced.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { camelToSnake, deriveType, parseClasses, parseInterfaces } from '../../scripts/terraform/derive-provider-attributes';
import { loadProviderSchema } from './lib/schema';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

// Shaped like lib/<resource>/index.d.ts and index.js of the package (trimmed).
const DTS = `
export interface WidgetConfig extends cdktf.TerraformMetaArguments {
    /**
    * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/widget#display_name Widget#display_name}
    */
    readonly displayName: string;
    /**
    * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/widget#labels Widget#labels}
    */
    readonly labels?: {
        [key: string]: string;
    };
    /**
    * http_target block
    *
    * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/widget#http_target Widget#http_target}
    */
    readonly httpTarget?: WidgetHttpTarget;
}
export interface WidgetHttpTargetOidcToken {
    /**
    * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/widget#audience Widget#audience}
    */
    readonly audience?: string;
}
export interface WidgetHttpTarget {
    /**
    * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/widget#uri Widget#uri}
    */
    readonly uri: string;
    /**
    * oidc_token block
    *
    * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/widget#oidc_token Widget#oidc_token}
    */
    readonly oidcToken?: WidgetHttpTargetOidcToken[] | cdktf.IResolvable;
}
`;

const JS = `
class WidgetHttpTargetOidcTokenOutputReference extends cdktf.ComplexObject {
    get audience() {
        return this.getStringAttribute('audience');
    }
}
class WidgetHttpTargetOutputReference extends cdktf.ComplexObject {
    constructor(terraformResource, terraformAttribute) {
        // oidc_token - computed: false, optional: true, required: false
        this._oidcToken = new WidgetHttpTargetOidcTokenOutputReference(this, "oidc_token");
    }
    // resolved_uri - computed: true, optional: false, required: false
    get resolvedUri() {
        return this.getStringAttribute('resolved_uri');
    }
}
class Widget extends cdktf.TerraformResource {
    constructor(scope, id, config) {
        // effective_labels - computed: true, optional: false, required: false
        this._effectiveLabels = new cdktf.StringMap(this, "effective_labels");
        // http_target - computed: false, optional: true, required: false
        this._httpTarget = new WidgetHttpTargetOutputReference(this, "http_target");
    }
    // state - computed: true, optional: false, required: false
    get state() {
        return this.getStringAttribute('state');
    }
}
Widget.tfResourceType = "google_widget";
`;

describe('derive-provider-attributes', () => {
  it('reads argument names from the registry anchors and types nested blocks through their interfaces', () => {
    const interfaces = parseInterfaces(DTS);
    expect(interfaces.map((i) => i.name)).toEqual(['WidgetConfig', 'WidgetHttpTargetOidcToken', 'WidgetHttpTarget']);
    expect(interfaces[0]?.extendsMeta).toBe(true);
    expect(interfaces[0]?.properties.map((p) => p.name)).toEqual(['display_name', 'labels', 'http_target']);
  });

  it('derives arguments with nested block paths, and computed-only attributes, for a resource', () => {
    expect(deriveType([DTS], [JS])).toEqual({
      kind: 'resource',
      type: 'google_widget',
      arguments: ['display_name', 'http_target', 'http_target.oidc_token', 'http_target.oidc_token.audience', 'http_target.uri', 'labels'],
      computed: ['effective_labels', 'http_target.resolved_uri', 'state'],
    });
  });

  it('finds computed comments and child references per generated class', () => {
    const classes = parseClasses(JS);
    expect(classes.find((c) => c.name === 'Widget')?.children).toEqual([{ base: 'WidgetHttpTarget', attr: 'http_target' }]);
    expect(camelToSnake('ipv6AccessType')).toBe('ipv6_access_type');
  });

  it('the committed list (google 6.50.0) knows the attributes this configuration relies on', () => {
    const schema = loadProviderSchema(join(repo, 'terraform'));
    expect(schema.googleVersion).toBe('6.50.0');
    const fn = schema.resource.get('google_cloudfunctions2_function');
    for (const a of ['build_config.entry_point', 'build_config.runtime', 'service_config.secret_environment_variables.secret', 'event_trigger.retry_policy'])
      expect(fn?.args.has(a)).toBe(true);
    for (const a of ['url', 'service_config.uri', 'update_time']) expect(fn?.computed.has(a)).toBe(true);
    expect(schema.data.get('archive_file')?.computed.has('output_md5')).toBe(true);
    expect(schema.resource.size).toBeGreaterThan(1000);
  });
});
