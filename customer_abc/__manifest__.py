{
    "name": "Customer ABC Grading",
    "summary": "Monthly A/B/C/D customer grades, lifecycle and alerts from sale orders",
    # no series prefix: Odoo 18.0 reads it as 18.0.1.4.0 and 19.0 as 19.0.1.4.0, so this one tree
    # installs on both (an "18.0." prefix makes 19.0 skip the module as not installable)
    "version": "1.4.0",  # pylint: disable=manifest-version-format
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "author": "customer_abc developers",
    "website": "https://github.com/customer-abc/customer_abc",
    "depends": ["sale_management", "sale_loyalty", "sms"],
    "external_dependencies": {"python": ["pandas", "xlsxwriter"]},
    "data": [
        "security/customer_abc_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/mail_activity_type_data.xml",
        "data/mail_activity_type_keep_done.xml",
        "data/sms_template_data.xml",
        "wizard/customer_abc_visit_wizard_views.xml",
        "wizard/customer_abc_coupon_wizard_views.xml",
        "views/customer_abc_history_views.xml",
        "views/customer_abc_profile_views.xml",
        "views/customer_abc_action_views.xml",
        "views/customer_abc_run_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/customer_abc_cockpit_views.xml",
        "views/customer_abc_menus.xml",
    ],
    "demo": ["demo/customer_abc_demo.xml"],
    "assets": {
        "web.assets_backend": [
            "customer_abc/static/src/**/*",
        ],
        "web.assets_tests": [
            "customer_abc/static/tests/tours/**/*",
        ],
    },
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
}
